/**
 * What the first bytes of an "HR file" really are, before any CSV parsing: a spreadsheet saved
 * under a .csv name, a compressed or binary file, the text encoding, and the delimiter. Each
 * refusal says what the file is and what to do, so "an XLSX is not a quoting problem".
 */
import type { HrEncoding } from './hr-config';

/** How many bytes are sniffed (and checked as UTF-8 when the encoding is `auto`). */
export const SNIFF_BYTES = 64 * 1024;

/** A WHATWG encoding label Node's TextDecoder knows (full ICU). */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export type Sniffed = { ok: true; encoding: TextEncodingName } | { ok: false; problem: string };

const EXPORT_CSV = 'export or save it as CSV (UTF-8) from the HR system or spreadsheet, and drop that file';

const startsWith = (sample: Buffer, ...bytes: number[]) => bytes.every((b, i) => sample[i] === b);

/** A container format recognised by its magic bytes, with what to tell the user. */
function containerKind(sample: Buffer): string | undefined {
  if (startsWith(sample, 0x50, 0x4b, 0x03, 0x04) || startsWith(sample, 0x50, 0x4b, 0x05, 0x06)) {
    return 'a ZIP archive, which is what an Excel workbook (.xlsx) or an OpenDocument sheet (.ods) is';
  }
  if (startsWith(sample, 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) return 'an Excel 97-2003 workbook (.xls)';
  if (startsWith(sample, 0x1f, 0x8b)) return 'gzip-compressed (decompress it, or export it uncompressed)';
  if (startsWith(sample, 0x25, 0x50, 0x44, 0x46)) return 'a PDF document';
  return undefined;
}

const BOMS: Array<[number[], TextEncodingName]> = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];

function bomEncoding(sample: Buffer): TextEncodingName | undefined {
  return BOMS.find(([bytes]) => startsWith(sample, ...bytes))?.[1];
}

/** Mostly NUL bytes is no text file; one stray NUL in a text file is left to the row checks. */
function isBinary(sample: Buffer): boolean {
  let nul = 0;
  for (const byte of sample) if (byte === 0) nul++;
  return nul >= 4 && nul * 100 >= sample.length;
}

/** A NUL every other byte around ASCII text: UTF-16 saved without its byte order mark. */
function looksLikeBomlessUtf16(sample: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  const pairs = Math.min(256, Math.floor(sample.length / 2));
  if (pairs < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < pairs; i++) {
    if (sample[2 * i] === 0) evenNul++;
    if (sample[2 * i + 1] === 0) oddNul++;
  }
  if (oddNul > pairs * 0.8 && evenNul === 0) return 'utf-16le';
  if (evenNul > pairs * 0.8 && oddNul === 0) return 'utf-16be';
  return undefined;
}

/** The sample is valid UTF-8 (a multi-byte character cut off at its end is fine: the file goes on). */
function isUtf8(sample: Buffer, complete: boolean): boolean {
  let end = sample.length;
  if (!complete) {
    // Step back over a last character that may be cut off (at most 3 continuation bytes).
    let back = 0;
    while (back < 3 && end - back - 1 >= 0 && (sample[end - back - 1] & 0xc0) === 0x80) back++;
    if (end - back - 1 >= 0 && sample[end - back - 1] >= 0xc0) end = end - back - 1;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides how to decode a file from its first bytes (`complete`: the sample is the whole file).
 * A BOM decides, whatever is configured; without one, a named encoding is taken as it is, and `auto`
 * takes UTF-8 if the sample is valid UTF-8, else refuses saying what to set.
 */
export function sniffEncoding(sample: Buffer, configured: HrEncoding, complete: boolean): Sniffed {
  const container = containerKind(sample);
  if (container) return { ok: false, problem: `the file is ${container}, not a CSV text file: ${EXPORT_CSV}` };
  const bom = bomEncoding(sample);
  const utf16 = bom === 'utf-16le' || bom === 'utf-16be' || configured === 'utf-16le' || configured === 'utf-16be';
  if (!utf16 && isBinary(sample)) {
    const bomless = looksLikeBomlessUtf16(sample);
    if (bomless && configured === 'auto') {
      return { ok: false, problem: `the file looks like ${bomless.toUpperCase()} text without a byte order mark: set hr.encoding to "${bomless}" in the config` };
    }
    return { ok: false, problem: `the file is binary (it holds NUL bytes), not a CSV text file: ${EXPORT_CSV}` };
  }
  // A byte order mark is unambiguous (no Windows-1252 export starts with "ï»¿" or "ÿþ"): it decides
  // whatever hr.encoding says, so a file re-saved with a BOM does not start its first header with "ï»¿".
  if (bom) return { ok: true, encoding: bom };
  if (configured === 'iso-8859-1' || configured === 'windows-1252') return { ok: true, encoding: 'windows-1252' };
  if (configured !== 'auto') return { ok: true, encoding: configured };
  if (isUtf8(sample, complete)) return { ok: true, encoding: 'utf-8' };
  return {
    ok: false,
    problem:
      'the file is not UTF-8 text (its first bytes hold characters UTF-8 cannot have); a Western European export ' +
      'is usually Windows-1252: set hr.encoding to "windows-1252" (or "iso-8859-1", or "utf-16le") in the config, or save the file as UTF-8',
  };
}

const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * The delimiter of the header line: the candidate found most often outside quotes (a header of
 * one column has none: comma). Ties go to the comma, then semicolon, tab, pipe.
 */
export function sniffDelimiter(text: string): string {
  const counts = new Map<string, number>(CANDIDATE_DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of text.replace(/^\uFEFF/, '')) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const d of CANDIDATE_DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

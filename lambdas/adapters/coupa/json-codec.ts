/**
 * JSON bodies. CSO ids are 19-digit numbers that a JS number would round
 * (9219595862193003588 → 9219595862193004000): CSO sends them as strings, but should an id ever
 * arrive bare, it is quoted before JSON.parse so it never passes through a number.
 */
const BARE_LONG_ID = /("(?:id|[\w-]+-id)"\s*:\s*)(-?\d{16,})(?=\s*[,}\]])/g;

export function parseJsonKeepingLongIds(text: string): unknown {
  if (text.trim() === '') return null;
  return JSON.parse(text.replace(BARE_LONG_ID, '$1"$2"'));
}

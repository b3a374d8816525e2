/**
 * Reads Coupa's verdict on a user-import CSV: `GET /api/data_file_sources` (scope core.integration.read).
 * Core only (CSO has no CSV loader).
 */
import type { DataFileSourceReader, DataFileSourceResult } from '../../core/ports';
import type { CoupaHttp } from './http';

export class CoupaDataFileSourceReader implements DataFileSourceReader {
  constructor(private readonly http: CoupaHttp) {}

  async findByFileName(fileName: string): Promise<DataFileSourceResult | undefined> {
    const res = await this.http.request('GET', '/api/data_file_sources', {
      query: { source_for: 'User', file_file_name: fileName, order_by: 'id', dir: 'desc', limit: 1 },
      acceptStatuses: [404], // XML: "No results match your search criteria."
    });
    if (res.status === 404) return undefined;
    const first = listOf(res.body)[0];
    return first ? toResult(first as Record<string, unknown>, fileName) : undefined;
  }
}

function listOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (!body || typeof body !== 'object') return [];
  // XML: { "data-file-sources": [...] } (or a single object when not typed as array)
  for (const value of Object.values(body as Record<string, unknown>)) {
    if (Array.isArray(value)) return value;
    if (value && typeof value === 'object') return [value];
  }
  return [];
}

function toResult(raw: Record<string, unknown>, fallbackName: string): DataFileSourceResult {
  const errors = Array.isArray(raw['upload-errors']) ? (raw['upload-errors'] as Array<Record<string, unknown>>) : [];
  const resultText = textOf(raw['result-text']);
  return {
    fileName: String(raw['file-file-name'] ?? fallbackName),
    status: String(raw.status ?? ''),
    recordsCreated: Number(raw['records-created'] ?? 0),
    recordsUpdated: Number(raw['records-updated'] ?? 0),
    ...(resultText ? { resultText } : {}),
    errors: errors.map((e) => ({
      row: Number(e.row ?? 0),
      field: String(e['field-with-error'] ?? ''),
      value: e.value === null || e.value === undefined ? '' : String(e.value),
      messages: messagesOf(e['field-errors']),
    })),
  };
}

/** A text element: XML may give an empty element as '' or an object (e.g. `nil="true"` attributes). */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function messagesOf(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(messagesOf);
  if (typeof value === 'object') return Object.values(value as Record<string, unknown>).flatMap(messagesOf);
  return [String(value)];
}

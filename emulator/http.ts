/**
 * The emulator's request/response values. Route handlers take an ApiRequest and return an
 * ApiResponse; only server.ts touches node:http, so handlers stay plain functions.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

export function xml(status: number, document: string, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/xml; charset=utf-8', ...headers }, body: document };
}

export function header(request: ApiRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

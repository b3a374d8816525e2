/**
 * Spies on global fetch (the client's transport) and records what was sent: the emulator's
 * request log holds no bodies, and tests assert exactly what a PUT carried.
 */
import { vi } from 'vitest';

export interface SentRequest {
  method: string;
  url: string;
  body: string;
}

export interface FetchRecorder {
  /** Requests with a string body, in order. */
  bodies: SentRequest[];
  /** Every URL fetched, in order. */
  urls: string[];
  clear(): void;
}

/** Installs the spy (undo with vi.restoreAllMocks()); requests still go to the real server. */
export function recordFetches(): FetchRecorder {
  const recorder: FetchRecorder = {
    bodies: [],
    urls: [],
    clear() {
      recorder.bodies.length = 0;
      recorder.urls.length = 0;
    },
  };
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    recorder.urls.push(String(input));
    if (typeof init?.body === 'string') recorder.bodies.push({ method: init.method ?? 'GET', url: String(input), body: init.body });
    return realFetch(input, init);
  });
  return recorder;
}

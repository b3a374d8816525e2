/**
 * An object as `JSON.stringify(value, null, 2)` gives it, made in pieces: each top-level array one
 * element at a time. A 100,000-change plan is ~30 MB of indented JSON; as one string (and a Buffer
 * of it for the write) it came between the plan and the first write of a first load, and the
 * size-optimized collector paid for it. In pieces it is written while each piece is small.
 */
export function* indentedJsonChunks(value: Record<string, unknown>): Iterable<string> {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  yield '{';
  for (let i = 0; i < entries.length; i++) {
    const [key, v] = entries[i];
    const head = `\n  ${JSON.stringify(key)}: `;
    const tail = i < entries.length - 1 ? ',' : '';
    if (Array.isArray(v) && v.length > 0) {
      yield `${head}[`;
      for (let j = 0; j < v.length; j++) {
        // As JSON.stringify writes an array element: undefined, functions and symbols become null.
        const text = JSON.stringify(v[j], null, 2) ?? 'null';
        yield `\n    ${text.replace(/\n/g, '\n    ')}${j < v.length - 1 ? ',' : ''}`;
      }
      yield `\n  ]${tail}`;
    } else {
      yield `${head}${JSON.stringify(v, null, 2).replace(/\n/g, '\n  ')}${tail}`;
    }
  }
  yield '\n}';
}

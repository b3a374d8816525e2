import { describe, expect, it } from 'vitest';
import { PackedMap } from '../../lambdas/core/packed-map';

/** A small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('PackedMap', () => {
  it('behaves as a Map of strings under sets, replacements, deletes and re-adds, in insertion order', () => {
    // Prepare: keys that differ in case, non-ASCII text, a text larger than a chunk, enough keys to rehash many times
    const packed = new PackedMap();
    const model = new Map<string, string>();
    const next = random(7);
    const keys = Array.from({ length: 3_000 }, (_, i) => (i % 10 === 0 ? `User.${i >> 1}` : `user.${i >> 1}`));

    // Act
    for (let step = 0; step < 40_000; step++) {
      const key = keys[Math.floor(next() * keys.length)];
      const roll = next();
      if (roll < 0.15) expect(packed.delete(key)).toBe(model.delete(key));
      else {
        const text = step === 777 ? 'ü'.repeat(700_000) : `{"n":${step},"name":"Zoë ${key}"}`;
        packed.set(key, text);
        model.set(key, text);
      }
    }

    // Assess
    expect(packed.size).toBe(model.size);
    expect([...packed.entries()]).toEqual([...model.entries()]);
    expect([...packed.keys()]).toEqual([...model.keys()]);
    expect([...packed.values()]).toEqual([...model.values()]);
    for (const key of keys) {
      expect(packed.get(key)).toBe(model.get(key));
      expect(packed.has(key)).toBe(model.has(key));
    }
  });

  it('finds the keys equal ignoring case, in insertion order, and forgets deleted ones', () => {
    // Prepare
    const packed = new PackedMap();
    for (const key of ['ann', 'Bob', 'ANN', 'Ann', 'carl']) packed.set(key, key.length.toString());

    // Act
    const before = packed.ignoringCase('aNN');
    packed.delete('ANN');
    const after = packed.ignoringCase('ann');

    // Assess
    expect(before).toEqual(['ann', 'ANN', 'Ann']);
    expect(after).toEqual(['ann', 'Ann']);
    expect(packed.ignoringCase('dora')).toEqual([]);
  });

  it('without its case index, finds keys as before and refuses to look ignoring case', () => {
    // Prepare
    const packed = new PackedMap({ caseIndex: false });
    for (let i = 0; i < 5_000; i++) packed.set(`user.${i}`, String(i));
    packed.delete('user.7');

    // Act / Assess
    expect(packed.get('user.4999')).toBe('4999');
    expect(packed.has('user.7')).toBe(false);
    expect(packed.size).toBe(4_999);
    expect(() => packed.ignoringCase('USER.1')).toThrow(/no index by lower-cased key/);
  });
});

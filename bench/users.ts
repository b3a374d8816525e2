/** The bench's users: a seed for the emulator and HR files that mirror it with a share renamed. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { SeedUser } from '../emulator/server';

export const loginOf = (i: number) => `emp${String(i).padStart(7, '0')}`;

export function seedUser(i: number): SeedUser {
  return { login: loginOf(i), email: `emp${i}@example.com`, firstname: 'Emp', lastname: `Number ${i}`, active: true, 'employee-number': `E${i}` };
}

export function seedUsers(n: number): SeedUser[] {
  return Array.from({ length: n }, (_, i) => seedUser(i));
}

export const HR_HEADER = 'login,email,firstname,lastname,active,employee-number';

/**
 * A full roster of users 0 … n-1 whose lastname is `Renamed <i> <tag>` for every `every`-th user
 * starting at `phase` (so two files with different phases change different users), else the seed's.
 * Returns the number of rows that differ from the seed.
 */
export async function writeHrFile(path: string, n: number, every: number, phase = 0, tag = 'a'): Promise<number> {
  const out = createWriteStream(path);
  out.write(`${HR_HEADER}\n`);
  let changed = 0;
  let chunk = '';
  for (let i = 0; i < n; i++) {
    const renamed = i % every === phase % every;
    if (renamed) changed++;
    chunk += `${loginOf(i)},emp${i}@example.com,Emp,${renamed ? `Renamed ${i} ${tag}` : `Number ${i}`},true,E${i}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return changed;
}

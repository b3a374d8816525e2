/**
 * ReferenceListStore on the drop bucket: `state/references/<kind>.ndjson`, beside the users'
 * snapshot (state/coupa-users.ndjson). A list is a few hundred lines at most, so it is read and
 * written whole.
 */
import { text } from 'node:stream/consumers';
import type { ObjectStore, ReferenceKind, ReferenceListStore } from '../../core/ports';
import { isMissing } from './s3-read';

export const referenceListKey = (kind: ReferenceKind) => `state/references/${kind}.ndjson`;

export class S3ReferenceListStore implements ReferenceListStore {
  constructor(private readonly objects: ObjectStore) {}

  async read(kind: ReferenceKind): Promise<AsyncIterable<string> | undefined> {
    let body: string;
    try {
      body = await text(await this.objects.get(referenceListKey(kind)));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    return (async function* () {
      yield* body.split('\n');
    })();
  }

  async write(kind: ReferenceKind, lines: Iterable<string>): Promise<void> {
    await this.objects.put(referenceListKey(kind), `${[...lines].join('\n')}\n`, 'application/x-ndjson');
  }
}

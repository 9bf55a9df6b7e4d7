import { readFile } from 'node:fs/promises';
import { writeJsonAtomic } from './atomic-write.js';
import { assertSha256 } from './errors.js';
import { isNotFound } from './fs-errors.js';

/** Image SHA-256 → the instances whose domains boot from it. */
export type Pins = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * The in-use marks of one node's image cache: which instances boot from which image, kept
 * in a JSON file so they survive an agent restart. A marked image is never evicted. Marks,
 * releases and whatever runs under `locked` (the eviction) form one queue, so none of them
 * loses another's update and an eviction sees every mark issued before it.
 */
export class ImagePins {
  private pins: Map<string, Set<string>> | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  /** Records that a domain boots from the image. */
  mark(sha256: string, instanceId: string): Promise<void> {
    assertSha256(sha256);
    return this.update((m) => {
      const users = m.get(sha256) ?? new Set<string>();
      if (users.has(instanceId)) return false;
      m.set(sha256, users.add(instanceId));
      return true;
    });
  }

  /** Idempotent: releasing an image the instance did not hold is fine. */
  release(sha256: string, instanceId: string): Promise<void> {
    assertSha256(sha256);
    return this.update((m) => {
      const users = m.get(sha256);
      if (!users?.delete(instanceId)) return false;
      if (users.size === 0) m.delete(sha256);
      return true;
    });
  }

  /** Releases every image the instance holds. */
  releaseInstance(instanceId: string): Promise<void> {
    return this.update((m) => dropUsers(m, (id) => id === instanceId).length > 0);
  }

  /** Drops the marks of every instance not in `keep`; returns the instance ids released. */
  async releaseAllExcept(keep: ReadonlySet<string>): Promise<string[]> {
    let released: string[] = [];
    await this.update((m) => (released = dropUsers(m, (id) => !keep.has(id))).length > 0);
    return released;
  }

  /** Runs `fn` with the marks, after every earlier update or `locked` call and before any later one. */
  locked<T>(fn: (pins: Pins) => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => fn(await this.load()));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private update(change: (m: Map<string, Set<string>>) => boolean): Promise<void> {
    return this.locked(async (current) => {
      // Change a copy: if the write fails, memory still matches the file.
      const m = new Map([...current].map(([sha, users]) => [sha, new Set(users)]));
      if (!change(m)) return;
      const json: Record<string, string[]> = {};
      for (const [sha, users] of [...m].sort(([a], [b]) => a.localeCompare(b))) json[sha] = [...users].sort();
      await writeJsonAtomic(this.file, json);
      this.pins = m;
    });
  }

  private async load(): Promise<Pins> {
    if (this.pins) return this.pins;
    let json: Record<string, string[]> = {};
    try {
      json = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string[]>;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.pins = new Map(Object.entries(json).map(([sha, users]) => [sha, new Set(users)]));
    return this.pins;
  }
}

/** Removes the matching users from every image (in place); returns who was removed. */
function dropUsers(m: Map<string, Set<string>>, drop: (instanceId: string) => boolean): string[] {
  const dropped = new Set<string>();
  for (const [sha, users] of m) {
    for (const id of users) {
      if (!drop(id)) continue;
      users.delete(id);
      dropped.add(id);
    }
    if (users.size === 0) m.delete(sha);
  }
  return [...dropped].sort();
}

import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VolumeExport } from '../backend.js';

/** What the storage node keeps beside a volume's file: the export it re-creates when tgtd restarts. */
export interface ExportRecord extends VolumeExport {
  volumeId: string;
  sizeGb: number;
  pool: string;
  /** Initiators (hosts' IQNs) let in. */
  initiators: string[];
}

/**
 * A storage pool as a folder of sparse files (Cinder's LVM driver with a file per logical
 * volume): `<root>/<pool>/volume-<id>.img`, with `volume-<id>.json` beside it holding the
 * export (tgtd keeps its targets in memory only, as tgt's own /etc/tgt/conf.d files do).
 * The JSON is the node's, mode 0600: it holds the CHAP secret.
 */
export class PoolFiles {
  constructor(readonly root: string) {}

  dir(pool: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(pool)) throw new Error(`pool name ${JSON.stringify(pool)} is not a folder name`);
    return path.join(this.root, pool);
  }

  image(pool: string, volumeId: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(volumeId)) throw new Error(`volume id ${JSON.stringify(volumeId)} is not a file name`);
    return path.join(this.dir(pool), `volume-${volumeId}.img`);
  }

  private recordFile(pool: string, volumeId: string): string {
    return this.image(pool, volumeId).replace(/\.img$/, '.json');
  }

  /** A sparse file of the volume's size; an existing one is kept as it is (it holds the user's bytes). */
  async createImage(pool: string, volumeId: string, sizeGb: number): Promise<string> {
    await mkdir(this.dir(pool), { recursive: true });
    const file = this.image(pool, volumeId);
    const handle = await open(file, 'wx').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return null;
      throw err;
    });
    if (handle) {
      try {
        await handle.truncate(sizeGb * 2 ** 30);
      } finally {
        await handle.close();
      }
    }
    return file;
  }

  async readRecord(pool: string, volumeId: string): Promise<ExportRecord | null> {
    try {
      return JSON.parse(await readFile(this.recordFile(pool, volumeId), 'utf8')) as ExportRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async writeRecord(record: ExportRecord): Promise<void> {
    const file = this.recordFile(record.pool, record.volumeId);
    await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  /** Removes the volume's file and record; missing ones are fine. */
  async remove(pool: string, volumeId: string): Promise<void> {
    await rm(this.recordFile(pool, volumeId), { force: true });
    await rm(this.image(pool, volumeId), { force: true });
  }

  /** Every volume file in every pool, with its record when it has one. */
  async list(): Promise<Array<{ pool: string; volumeId: string; file: string; record: ExportRecord | null }>> {
    const pools = await readdir(this.root).catch(() => [] as string[]);
    const found = [];
    for (const pool of pools.sort()) {
      for (const name of (await readdir(this.dir(pool)).catch(() => [] as string[])).sort()) {
        const m = /^volume-([A-Za-z0-9-]+)\.img$/.exec(name);
        if (!m) continue;
        found.push({
          pool,
          volumeId: m[1],
          file: path.join(this.dir(pool), name),
          record: await this.readRecord(pool, m[1]),
        });
      }
    }
    return found;
  }
}

import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { open, type Database } from 'lmdb';
import type { PartitionStorage, StateBackend } from './backend.ts';

/**
 * LMDB environments under `dir`, one per store partition (`<dir>/<group>/<store>/<partition>`),
 * next to a `checkpoint` file naming the changelog offset the data covers. The file exists only
 * between a clean close and the next open: a process that dies with the partition open leaves
 * none, so the next owner clears the data and restores the whole changelog.
 */
export function lmdbBackend(dir: string): StateBackend {
  return {
    kind: 'lmdb',
    async open(group, store, partition) {
      const path = join(dir, safe(group), safe(store), String(partition));
      const checkpointFile = join(path, 'checkpoint');
      await mkdir(path, { recursive: true });
      let db: Database<Buffer, Buffer> = openAt(path);
      return {
        get: (key) => db.getBinary(key) ?? undefined,
        async write(entries) {
          // One synchronous transaction: visible to the next get, and all or nothing.
          db.transactionSync(() => {
            for (const entry of entries) {
              if (entry.value === null) db.removeSync(entry.key);
              else db.putSync(entry.key, entry.value);
            }
          });
        },
        *entries() {
          for (const { key, value } of db.getRange()) yield { key: Buffer.from(key), value: Buffer.from(value) };
        },
        async takeCheckpoint() {
          const text = await readFile(checkpointFile, 'utf8').catch(() => undefined);
          await rm(checkpointFile, { force: true });
          return text?.trim() || undefined;
        },
        async writeCheckpoint(offset) {
          await db.flushed;
          await writeFile(`${checkpointFile}.tmp`, offset);
          await rename(`${checkpointFile}.tmp`, checkpointFile);
        },
        async clear() {
          await db.close();
          await rm(join(path, 'data.mdb'), { force: true });
          await rm(join(path, 'data.mdb-lock'), { force: true });
          db = openAt(path);
        },
        close: () => db.close(),
      };
    },
  };
}

function openAt(path: string): Database<Buffer, Buffer> {
  return open<Buffer, Buffer>({ path: join(path, 'data.mdb'), encoding: 'binary', keyEncoding: 'binary', compression: false });
}

/** Group and store names are already restricted; this keeps a path from ever leaving `dir`. */
function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

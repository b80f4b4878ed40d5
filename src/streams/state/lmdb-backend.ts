import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { open, type Database } from 'lmdb';
import type { PartitionStorage, StateBackend } from './backend.ts';
import { defaultWriteBehind, writeBehind, type WriteBehindOptions } from './write-behind.ts';

/**
 * LMDB environments under `dir`, one per store partition (`<dir>/<group>/<store>/<partition>`).
 * The changelog checkpoint lives in the same database, written in the transaction of the entries
 * it covers: whether the process stops cleanly or is killed, data and checkpoint agree, and the
 * next open restores only the changelog's tail. Writes reach LMDB through `writeBehind`: one
 * transaction per `flush.intervalMs` (`defaultWriteBehind` for what is not given), not one per chunk.
 */
export function lmdbBackend(dir: string, flush: Partial<WriteBehindOptions> = {}): StateBackend {
  return {
    kind: 'lmdb',
    async open(group, store, partition) {
      const path = join(dir, safe(group), safe(store), String(partition));
      await mkdir(path, { recursive: true });
      let db: Database<Buffer, Buffer> = openAt(path);
      /** Where the last `keysInTurn` stopped: the next starts after it. */
      let turnAfter: Buffer | undefined;
      const storage: PartitionStorage = {
        get: (key) => db.getBinary(key) ?? undefined,
        async write(entries, checkpoint) {
          // One synchronous transaction: visible to the next get, and all or nothing.
          db.transactionSync(() => {
            for (const entry of entries) {
              if (entry.value === null) db.removeSync(entry.key);
              else db.putSync(entry.key, entry.value);
            }
            if (checkpoint !== undefined) db.putSync(checkpointKey, Buffer.from(checkpoint, 'utf8'));
          });
        },
        *entries() {
          for (const { key, value } of db.getRange()) {
            if (!checkpointKey.equals(key)) yield { key: Buffer.from(key), value: Buffer.from(value) };
          }
        },
        keysInTurn(limit) {
          const keys: Buffer[] = [];
          for (const key of db.getKeys(turnAfter ? { start: turnAfter } : {})) {
            if (turnAfter?.equals(key)) continue;
            if (checkpointKey.equals(key)) continue;
            keys.push(Buffer.from(key));
            if (keys.length >= limit) break;
          }
          // Short of `limit`: the pass reached the last key; the next call starts over.
          turnAfter = keys.length >= limit ? keys.at(-1) : undefined;
          return keys;
        },
        checkpoint: () => db.getBinary(checkpointKey)?.toString('utf8'),
        async clear() {
          await db.close();
          await rm(join(path, 'data.mdb'), { force: true });
          await rm(join(path, 'data.mdb-lock'), { force: true });
          db = openAt(path);
          turnAfter = undefined;
        },
        close: () => db.close(),
      };
      return writeBehind(storage, { ...defaultWriteBehind, ...flush });
    },
  };
}

/** In the NUL-led key space the runtime keeps for itself (input-offset markers live there too). */
const checkpointKey = Buffer.from('\u0000changelog-checkpoint', 'utf8');

function openAt(path: string): Database<Buffer, Buffer> {
  return open<Buffer, Buffer>({ path: join(path, 'data.mdb'), encoding: 'binary', keyEncoding: 'binary', compression: false });
}

/** Group and store names are already restricted; this keeps a path from ever leaving `dir`. */
function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

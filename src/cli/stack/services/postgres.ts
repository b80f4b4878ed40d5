import { existsSync, mkdirSync, readdirSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { nativeEndpoints, nativeStack } from '../../../config/native-stack.ts';
import { ensureDebianPackage } from '../debian.ts';
import { stackPaths } from '../paths.ts';
import { run, runningPid, startDetached, stopProcess } from '../processes.ts';
import type { StackService } from '../service.ts';

const name = 'postgres';

/** The databases the stack provides: the pipeline's and the schema registry's storage. */
export const stackDatabases = ['bridge', 'registry'] as const;

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  return join(base, newest, 'bin');
}

/** PostgreSQL refuses to run as root, so as root the server runs as the Debian `postgres` user. */
function asServerUser(command: string, args: string[]): { command: string; args: string[] } {
  if (process.getuid?.() !== 0) return { command, args };
  return { command: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args] };
}

async function serverUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/**
 * The data directory. As root the server runs as `postgres`, which cannot reach a checkout under a
 * private home folder; then the data lives under /var/lib instead, one folder per checkout.
 */
async function dataDir(): Promise<string> {
  const inCheckout = join(stackPaths.service(name), 'data');
  if (process.getuid?.() !== 0) return inCheckout;
  mkdirSync(stackPaths.service(name), { recursive: true });
  const probe = asServerUser('test', ['-x', stackPaths.service(name)]);
  try {
    await run(probe.command, probe.args);
    return inCheckout;
  } catch {
    const id = createHash('sha256').update(stackPaths.root).digest('hex').slice(0, 12);
    return join('/var/lib/biometric-bridge', id, 'data');
  }
}

export const postgresService: StackService = {
  name,
  endpoint: nativeEndpoints.databaseUrl,
  logFile: stackPaths.log(name),
  startTimeoutMs: 60_000,
  async install(say) {
    await ensureDebianPackage('pg_ctlcluster', 'postgresql', say);
    const dir = await dataDir();
    if (existsSync(join(dir, 'PG_VERSION'))) return;
    say('initialising the PostgreSQL data directory (first run only)');
    mkdirSync(dir, { recursive: true });
    const ids = await serverUserIds();
    if (ids) chownSync(dir, ids.uid, ids.gid);
    // Loopback only and trust auth: this is a developer stack with no secrets to keep.
    const init = asServerUser(join(binDir(), 'initdb'), ['-D', dir, '-U', 'bridge', '--auth=trust', '-E', 'UTF8', '--no-locale']);
    try {
      await run(init.command, init.args);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`initdb failed (the postgres user must be able to reach ${dir}): ${detail}`);
    }
  },
  async start() {
    if (runningPid(name) !== undefined) return;
    const server = asServerUser(join(binDir(), 'postgres'), [
      '-D', await dataDir(),
      // Names the stack folder in the command line, which is how `stack` recognises its server.
      '-c', `bridge.stack=${stackPaths.root}`,
      '-p', String(nativeStack.postgresPort),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      '-c', 'shared_buffers=256MB',
    ]);
    startDetached({ name, ...server });
  },
  async ready() {
    const admin = new pg.Client({ connectionString: nativeEndpoints.databaseUrl.replace(/\/bridge$/, '/postgres'), connectionTimeoutMillis: 2_000 });
    await admin.connect();
    try {
      await admin.query('SELECT 1');
      for (const db of stackDatabases) {
        const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
        if (rowCount === 0) await admin.query(`CREATE DATABASE ${db}`);
      }
      return true;
    } finally {
      await admin.end();
    }
  },
  pid: () => runningPid(name),
  // SIGINT is PostgreSQL's fast shutdown: it does not wait for idle clients to leave.
  stop: () => stopProcess(name, { signal: 'SIGINT' }),
};

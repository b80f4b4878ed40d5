import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { nativeEndpoints, nativeStack } from '../../../config/native-stack.ts';
import { ensureDebianPackage } from '../debian.ts';
import { stackPaths } from '../paths.ts';
import { runningPid, startDetached, stopProcess } from '../processes.ts';
import type { StackService } from '../service.ts';

const name = 'redis';
const dataDir = stackPaths.service(name);

export const redisService: StackService = {
  name,
  endpoint: nativeEndpoints.redisUrl,
  logFile: stackPaths.log(name),
  startTimeoutMs: 20_000,
  async install(say) {
    await ensureDebianPackage('redis-server', 'redis-server', say);
  },
  async start() {
    if (runningPid(name) !== undefined) return;
    mkdirSync(dataDir, { recursive: true });
    const conf = join(dataDir, 'redis.conf');
    writeFileSync(
      conf,
      [
        `port ${nativeStack.redisPort}`,
        'bind 127.0.0.1',
        `dir ${dataDir}`,
        // The replay guard's claims must outlive a Redis restart, or a vendor's retry of a
        // delivery that already went on is forwarded again: an append-only file, synced each second.
        'save ""',
        'appendonly yes',
        'appendfsync everysec',
        // Redis rewrites its process title; keeping the config path in it lets `stack` find it.
        'proc-title-template "{title} {listen-addr} {config-file}"',
        '',
      ].join('\n'),
    );
    startDetached({ name, command: 'redis-server', args: [conf] });
  },
  async ready() {
    const client = new Redis(nativeEndpoints.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  },
  pid: () => runningPid(name),
  stop: () => stopProcess(name),
};

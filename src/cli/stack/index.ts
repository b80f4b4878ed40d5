import { kafkaService } from './services/kafka.ts';
import { postgresService } from './services/postgres.ts';
import { redisService } from './services/redis.ts';
import { registryService } from './services/registry.ts';
import { waitUntil } from './processes.ts';
import type { Say, StackService } from './service.ts';

export type { StackService } from './service.ts';

/** Start order matters only for the registry, which stores its schemas in PostgreSQL. */
export const stackServices: readonly StackService[] = [postgresService, redisService, kafkaService, registryService];

function select(names: readonly string[]): StackService[] {
  if (names.length === 0) return [...stackServices];
  const unknown = names.filter((n) => !stackServices.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown service ${unknown.join(', ')}: choose from ${stackServices.map((s) => s.name).join(', ')}`);
  }
  return stackServices.filter((s) => names.includes(s.name));
}

async function bringUp(service: StackService, say: Say): Promise<void> {
  const wasRunning = service.pid() !== undefined;
  await service.install(say);
  await service.start(say);
  const started = Date.now();
  await waitUntil(() => service.ready(), {
    what: service.name,
    timeoutMs: service.startTimeoutMs,
    logFile: service.logFile,
    alive: () => service.pid() !== undefined,
    onRetry: (attempt, error) => say(`${service.name}: waiting (${attempt} checks, last: ${error})`),
  });
  await service.settle?.(say);
  say(`${service.name}: ${wasRunning ? 'already up' : `up in ${((Date.now() - started) / 1000).toFixed(1)} s`} at ${service.endpoint}`);
}

/** Idempotent: services that already answer are left alone. */
export async function stackUp(names: readonly string[], say: Say): Promise<void> {
  const chosen = select(names);
  const registry = chosen.find((s) => s === registryService);
  const others = chosen.filter((s) => s !== registryService);
  // Independent services start side by side; the registry waits for its database.
  await Promise.all(others.map((s) => bringUp(s, say)));
  if (registry) {
    if (!others.includes(postgresService)) await bringUp(postgresService, say);
    await bringUp(registry, say);
  }
}

export async function stackDown(names: readonly string[], say: Say): Promise<void> {
  for (const service of [...select(names)].reverse()) {
    const stopped = await service.stop();
    say(`${service.name}: ${stopped ? 'stopped' : 'was not running'}`);
  }
}

export interface ServiceStatus {
  name: string;
  endpoint: string;
  pid: number | undefined;
  answering: boolean;
  logFile: string;
}

export async function stackStatus(): Promise<ServiceStatus[]> {
  return Promise.all(
    stackServices.map(async (s) => ({
      name: s.name,
      endpoint: s.endpoint,
      pid: s.pid(),
      answering: await s.ready().catch(() => false),
      logFile: s.logFile,
    })),
  );
}

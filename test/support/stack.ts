import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { nativeEndpoints, usesExternalStack } from '../../src/config/native-stack.ts';
import { stackUp } from '../../src/cli/stack/index.ts';


const run = promisify(execFile);

async function dockerEngineAnswers(): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the tests' services come from, in order: the four endpoint variables when all are set;
 * containers when a Docker engine answers; otherwise the native stack (`bridge stack up`).
 */
export async function ensureTestStack(say: (line: string) => void): Promise<NodeJS.ProcessEnv> {
  if (usesExternalStack()) {
    say('using KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL and REDIS_URL from the environment');
    return process.env;
  }
  if (process.env['BRIDGE_TEST_STACK'] !== 'native' && (await dockerEngineAnswers())) {
    say('a Docker engine answers: starting the stack in containers');
    // Loaded only here: testcontainers is needed only where a Docker engine runs.
    const { startContainerStack } = await import('./containers.ts');
    return { ...process.env, ...(await startContainerStack()) };
  }
  await stackUp([], say);
  return {
    ...process.env,
    KAFKA_BROKERS: nativeEndpoints.kafkaBrokers,
    SCHEMA_REGISTRY_URL: nativeEndpoints.schemaRegistryUrl,
    DATABASE_URL: nativeEndpoints.databaseUrl,
    REDIS_URL: nativeEndpoints.redisUrl,
  };
}

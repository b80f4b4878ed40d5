import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nativeEndpoints, nativeStack } from '../../../config/native-stack.ts';
import { findJava, mvn } from '../java.ts';
import { stackPaths } from '../paths.ts';
import { run, runningPid, startDetached, stopProcess } from '../processes.ts';
import type { StackService } from '../service.ts';

const name = 'registry';
const home = stackPaths.service(name);

/**
 * Apicurio 3.2 and later need Java 21. Where only Java 17 exists the stack falls back to the
 * newest 3.0 release, which speaks the same Confluent-compatible API.
 */
export const apicurioReleases = [
  { version: '3.3.3', minJava: 21 },
  { version: '3.0.9', minJava: 17 },
] as const;

/** The subject compatibility every subject gets unless it sets its own (docs/design.md §4). */
export const globalCompatibility = 'BACKWARD_TRANSITIVE';

function chooseRelease(): { version: string; java: string } {
  for (const release of apicurioReleases) {
    const found = findJava(release.minJava);
    if (found) return { version: release.version, java: found.java };
  }
  throw new Error('Apicurio Registry needs Java 17 or newer: install openjdk-17-jre-headless');
}

function appDir(version: string): string {
  return join(home, `apicurio-registry-${version}`);
}

export const registryService: StackService = {
  name,
  endpoint: nativeEndpoints.schemaRegistryUrl,
  logFile: stackPaths.log(name),
  startTimeoutMs: 180_000,
  async install(say) {
    const { version } = chooseRelease();
    const dir = appDir(version);
    if (existsSync(join(dir, 'quarkus-run.jar'))) return;
    const archive = join(stackPaths.downloads, `apicurio-registry-app-${version}-all.tar.gz`);
    if (!existsSync(archive)) {
      say(`downloading Apicurio Registry ${version} with mvn (cached after the first run)`);
      await mvn([
        'dependency:copy',
        `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
        `-DoutputDirectory=${stackPaths.downloads}`,
      ]);
    }
    mkdirSync(dir, { recursive: true });
    await run('tar', ['-xzf', archive, '-C', dir]);
    if (!existsSync(join(dir, 'quarkus-run.jar'))) {
      throw new Error(`the Apicurio archive ${archive} has no quarkus-run.jar (found: ${readdirSync(dir).join(', ')})`);
    }
  },
  async start() {
    if (runningPid(name) !== undefined) return;
    const { version, java } = chooseRelease();
    const dir = appDir(version);
    const props: Record<string, string> = {
      'quarkus.http.host': '127.0.0.1',
      'quarkus.http.port': String(nativeStack.registryPort),
      // Schemas live in the stack's PostgreSQL so they survive a restart.
      'apicurio.storage.kind': 'sql',
      'apicurio.storage.sql.kind': 'postgresql',
      'apicurio.datasource.url': `jdbc:postgresql://127.0.0.1:${nativeStack.postgresPort}/registry`,
      'apicurio.datasource.username': 'bridge',
      'apicurio.datasource.password': 'trust-auth',
      // Confluent clients look schemas up by their canonical form.
      'apicurio.ccompat.use-canonical-hash': 'true',
      'apicurio.rest.deletion.artifact.enabled': 'true',
      'apicurio.rest.deletion.artifact-version.enabled': 'true',
      'apicurio.rest.deletion.group.enabled': 'true',
      'quarkus.otel.enabled': 'false',
      'quarkus.otel.sdk.disabled': 'true',
    };
    startDetached({
      name,
      command: java,
      cwd: dir,
      args: [
        '-Xms128m', '-Xmx768m', '-Djava.awt.headless=true',
        `-Dbridge.stack=${stackPaths.root}`,
        ...Object.entries(props).map(([key, value]) => `-D${key}=${value}`),
        '-jar', join(dir, 'quarkus-run.jar'),
      ],
    });
  },
  async ready() {
    const base = nativeEndpoints.schemaRegistryUrl;
    const subjects = await fetch(`${base}/subjects`, { signal: AbortSignal.timeout(2_000) });
    if (!subjects.ok) return false;
    // Apicurio answers NONE for a subject without a rule, where Confluent answers 404 and the
    // client library refuses to register; a global rule makes both behave the same.
    const config = await fetch(`${base}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: globalCompatibility }),
      signal: AbortSignal.timeout(5_000),
    });
    if (!config.ok) throw new Error(`registry refused the global compatibility rule: ${config.status} ${await config.text()}`);
    return true;
  },
  pid: () => runningPid(name),
  stop: () => stopProcess(name),
};

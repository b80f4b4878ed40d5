import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './processes.ts';

function releaseMajor(home: string): number | undefined {
  const release = join(home, 'release');
  if (!existsSync(release)) return undefined;
  const match = /JAVA_VERSION="(\d+)/.exec(readFileSync(release, 'utf8'));
  return match ? Number(match[1]) : undefined;
}

/**
 * The newest JDK at or above `minMajor`: JAVA_HOME first, then every JDK under /usr/lib/jvm.
 * Returns the java binary, or undefined when none is new enough.
 */
export function findJava(minMajor: number): { java: string; major: number } | undefined {
  const homes = new Set<string>();
  if (process.env['JAVA_HOME']) homes.add(process.env['JAVA_HOME']);
  if (existsSync('/usr/lib/jvm')) for (const dir of readdirSync('/usr/lib/jvm')) homes.add(join('/usr/lib/jvm', dir));
  let best: { java: string; major: number } | undefined;
  for (const home of homes) {
    const major = releaseMajor(home);
    const java = join(home, 'bin', 'java');
    if (major === undefined || major < minMajor || !existsSync(java)) continue;
    if (!best || major > best.major) best = { java, major };
  }
  return best;
}

export async function mvn(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('mvn', ['-q', '-B', ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const out = error as { stdout?: string; stderr?: string; code?: string };
    if (out.code === 'ENOENT') throw new Error('mvn is missing: install Maven (apt-get install maven)');
    throw new Error(`mvn ${args.join(' ')} failed:\n${(out.stdout ?? '') + (out.stderr ?? '')}`.trim());
  }
}

import { run, commandExists } from './processes.ts';

/**
 * Installs a Debian package when the binary is missing. Only root may do so; anyone else is told
 * which package to install, so `stack up` never fails with a bare "command not found".
 */
export async function ensureDebianPackage(
  binary: string,
  pkg: string,
  say: (line: string) => void,
): Promise<void> {
  if (await commandExists(binary)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${binary} is missing: install the Debian package ${pkg} (apt-get install ${pkg})`);
  }
  say(`installing ${pkg} with apt-get (first run only)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['install', '-y', '-qq', pkg], { env, maxBuffer: 64 * 1024 * 1024 });
  } catch {
    await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 * 1024 * 1024 });
    await run('apt-get', ['install', '-y', '-qq', pkg], { env, maxBuffer: 64 * 1024 * 1024 });
  }
  if (!(await commandExists(binary))) throw new Error(`apt-get installed ${pkg} but ${binary} is still not on PATH`);
}

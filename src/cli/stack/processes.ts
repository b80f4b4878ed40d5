import { spawn, execFile } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stackPaths, stackRoot } from './paths.ts';

export const run = promisify(execFile);

export interface DetachedCommand {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a service that outlives this process; its output goes to the service's log file. */
export function startDetached(spec: DetachedCommand): number {
  const logFile = stackPaths.log(spec.name);
  mkdirSync(dirname(logFile), { recursive: true });
  mkdirSync(dirname(stackPaths.pid(spec.name)), { recursive: true });
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    writeFileSync(stackPaths.pid(spec.name), String(child.pid));
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/**
 * The pid of a running service, or undefined. A pid is only trusted while its command line
 * still names the stack folder, so a recycled pid of an unrelated process is never signalled.
 */
export function runningPid(name: string, pidFile = stackPaths.pid(name)): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(stackRoot) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function stopProcess(
  name: string,
  options: { pidFile?: string; signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<boolean> {
  const pidFile = options.pidFile ?? stackPaths.pid(name);
  const pid = runningPid(name, pidFile);
  if (pid === undefined) {
    rmSync(stackPaths.pid(name), { force: true });
    return false;
  }
  process.kill(pid, options.signal ?? 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 30_000);
  while (Date.now() < deadline && runningPid(name, pidFile) !== undefined) await sleep(100);
  if (runningPid(name, pidFile) !== undefined) process.kill(pid, 'SIGKILL');
  while (runningPid(name, pidFile) !== undefined) await sleep(50);
  rmSync(stackPaths.pid(name), { force: true });
  return true;
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  logFile?: string;
  onRetry?: (attempt: number, error: string) => void;
  /**
   * Stops waiting early when the process died: when it answers false on three checks in a row.
   * One miss is not enough: a server that was seen starting (postgres, right after its first
   * launch on a data folder) once read as gone for a moment and `stack up` failed with it running.
   */
  alive?: () => boolean;
}

/** Polls `check` until it resolves true, never beyond `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const started = Date.now();
  let attempt = 0;
  let lastError = 'not ready';
  let missed = 0;
  for (;;) {
    attempt += 1;
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    const see = options.logFile ? `; see ${options.logFile}` : '';
    missed = options.alive && !options.alive() ? missed + 1 : 0;
    if (missed >= 3) throw new Error(`${options.what} exited during start-up${see}`);
    const elapsed = Date.now() - started;
    if (elapsed >= options.timeoutMs) {
      throw new Error(`${options.what} did not answer within ${options.timeoutMs / 1000} s (${lastError})${see}`);
    }
    if (attempt % 10 === 0) options.onRetry?.(attempt, lastError);
    await sleep(Math.min(options.intervalMs ?? 250, options.timeoutMs - elapsed));
  }
}

export async function commandExists(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

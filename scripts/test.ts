// The project's one test command (`npm test`): brings up the stack the tests need, runs every
// test file in its own process with a time limit, and prints `N passed, N failed` last.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureTestStack } from '../test/support/stack.ts';
import { projectRoot } from '../src/cli/stack/paths.ts';

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  note?: string;
  ms?: number;
}

const unitOnly = process.argv.includes('--unit');
const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const fileTimeoutMs = Number(process.env['TEST_FILE_TIMEOUT_MS'] ?? 600_000); // ten minutes

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'support') out.push(...testFiles(path));
    } else if (entry.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out.sort();
}

/**
 * Integration files that run two at a time: each has topics and consumer groups of its own and
 * asserts no timing, and they spend their time waiting on the broker, not on the CPU. The rest
 * run alone (the pipeline's shared topics and groups, SIGKILL and hand-over timing).
 */
const besideAnother = new Set(['streams-avro', 'streams-backpressure', 'streams-lag', 'streams-poison', 'streams-run', 'streams-shutdown', 'streams-state-query', 'streams-state-http'].map((name) => join('test', 'integration', `${name}.test.ts`)));

/** Runs a file, printing its output as it comes, or all at once when it ends (`buffered`). */
function runFile(file: string, env: NodeJS.ProcessEnv, buffered = false): Promise<FileResult> {
  const name = relative(projectRoot, file);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: projectRoot,
      env: { ...env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (!buffered) process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (buffered) process.stdout.write(`\n▶ ${name}\n${output}`);
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0);
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        // The file crashed before uvu printed its summary: count the file as one failure.
        resolve({ file: name, passed: 0, failed: 1, note: timedOut ? 'timed out' : `exited ${code} without a summary` });
        return;
      }
      const failed = total - passed - skipped;
      const note = timedOut ? 'timed out after its summary' : code !== 0 && failed === 0 ? `exited ${code}` : undefined;
      resolve({ file: name, passed, failed: failed + (note ? 1 : 0), ...(note ? { note } : {}) });
    });
  });
}

const dirs = unitOnly ? ['test/unit', 'test/topologies'] : ['test/unit', 'test/topologies', 'test/integration'];
const files = dirs
  .flatMap((dir) => {
    try {
      return testFiles(join(projectRoot, dir));
    } catch {
      return [];
    }
  })
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)));

const isIntegration = (file: string) => file.includes(join('test', 'integration'));
const started = Date.now();
// Unit and topology files need no services, and they come first: they run while the stack
// starts, which on a fresh machine takes longer than all of them together.
const stack = files.some(isIntegration) ? ensureTestStack((line) => console.log(`[stack] ${line}`)) : undefined;
stack?.catch(() => undefined); // awaited before the first integration file, which reports it
const results: FileResult[] = [];
const timed = async (file: string, env: NodeJS.ProcessEnv, buffered: boolean) => {
  const fileStarted = Date.now();
  results.push({ ...(await runFile(file, env, buffered)), ms: Date.now() - fileStarted });
};
const pairable = files.filter((file) => besideAnother.has(relative(projectRoot, file)));
for (const file of files.filter((f) => !pairable.includes(f))) {
  const env = isIntegration(file) ? await stack! : process.env;
  console.log(`\n▶ ${relative(projectRoot, file)}`);
  await timed(file, env, false);
}
if (pairable.length > 0) {
  const env = await stack!;
  const queue = [...pairable];
  const lane = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) await timed(file, env, true);
  };
  await Promise.all([lane(), lane()]);
}

const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
console.log(`\n${files.length} test files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
// The slowest files first, so the suite's time is easy to keep down.
const slowest = [...results].sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0)).slice(0, 12);
console.log(`  slowest: ${slowest.map((r) => `${r.file} ${((r.ms ?? 0) / 1000).toFixed(1)} s`).join(', ')}`);
for (const r of results.filter((r) => r.failed > 0)) console.log(`  failing: ${r.file} (${r.failed}${r.note ? `, ${r.note}` : ''})`);
if (files.length === 0) console.log('no test files matched');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && files.length > 0 ? 0 : 1);

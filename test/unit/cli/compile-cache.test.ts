import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const bridge = fileURLToPath(new URL('../../../bin/bridge.js', import.meta.url));

/** `bridge --help` with its temporary directory in `dir`, and the given environment on top. */
function help(dir: string, env: Record<string, string> = {}) {
  const { NODE_COMPILE_CACHE: _ignored, NODE_DISABLE_COMPILE_CACHE: _alsoIgnored, ...inherited } = process.env;
  return spawnSync(process.execPath, [bridge, '--help'], { env: { ...inherited, TMPDIR: dir, ...env }, encoding: 'utf8' });
}

test('bridge keeps its compiled modules in the temporary directory between starts, unless told not to', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-compile-cache-'));
  const off = mkdtempSync(join(tmpdir(), 'bridge-compile-cache-off-'));
  try {
    assert.is(help(dir).status, 0, 'expected bridge --help to succeed');
    const cache = join(dir, 'node-compile-cache');
    assert.ok(existsSync(cache) && readdirSync(cache).length > 0, 'expected a compile cache written under the temporary directory');
    assert.is(help(off, { NODE_DISABLE_COMPILE_CACHE: '1' }).status, 0, 'expected bridge --help to succeed without the cache');
    assert.not.ok(existsSync(join(off, 'node-compile-cache')), 'expected NODE_DISABLE_COMPILE_CACHE=1 to keep it off');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(off, { recursive: true, force: true });
  }
});

test.run();

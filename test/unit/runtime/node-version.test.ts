import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>;
  engines: { node: string };
};

test('the tests run on the Node.js the project pins, not the machine’s older one', () => {
  const pinned = manifest.devDependencies['node'];
  assert.ok(pinned, 'package.json pins the node package');
  assert.is(process.versions.node, pinned, `npm scripts put node_modules/.bin/node first on PATH; got ${process.version}`);
});

test('Node.js 24 or newer, as engines says', () => {
  const major = Number(process.versions.node.split('.')[0]);
  assert.ok(major >= 24, `expected Node.js ≥ 24, got ${process.version}`);
  assert.is(manifest.engines.node, '>=24');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bridgeV8Flags, v8FlagsToSet } from '../../../src/app/v8-flags.ts';

test('a bridge process turns allocation-site pretenuring off unless it was started with a setting of its own for it', () => {
  assert.equal(bridgeV8Flags, ['--no-allocation-site-pretenuring']);
  assert.equal(v8FlagsToSet([]), ['--no-allocation-site-pretenuring'], 'no flags given: set');
  assert.equal(v8FlagsToSet(['--max-old-space-size=4096', '--enable-source-maps']), ['--no-allocation-site-pretenuring'], 'other flags leave it to be set');
  for (const own of ['--allocation-site-pretenuring', '--no-allocation-site-pretenuring', '--allocation_site_pretenuring', '--no_allocation_site_pretenuring']) {
    assert.equal(v8FlagsToSet(['--enable-source-maps', own]), [], `${own}: the operator's setting stays`);
  }
});

test.run();

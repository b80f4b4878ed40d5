#!/usr/bin/env node
import module from 'node:module';
// The TypeScript sources run as they are (Node.js strips the types), so an operator's `bridge`
// never runs stale output and no loader sits in the hot path.
if (Number(process.versions.node.split('.')[0]) < 24 || !process.features.typescript) {
  process.stderr.write(`bridge needs Node.js 24 or newer (it runs its TypeScript sources directly); this is ${process.version}. In a checkout, use npm start / npm run bridge -- …, which run the pinned Node.js 24.\n`);
  process.exit(78);
}
// The compiled sources are kept on disk between starts (os.tmpdir()/node-compile-cache;
// NODE_COMPILE_CACHE moves it, NODE_DISABLE_COMPILE_CACHE=1 turns it off), so a stage restarted
// after a crash compiles none of its modules again: ready about 0.2 s sooner.
module.enableCompileCache();
// Before anything runs: V8's settings for a bridge process (src/app/v8-flags.ts).
(await import('../src/app/v8-flags.ts')).applyBridgeV8Flags();
await import('../src/cli/main.ts');

#!/usr/bin/env node
// The TypeScript sources run as they are (Node.js strips the types), so an operator's `bridge`
// never runs stale output and no loader sits in the hot path.
if (!process.features.typescript) {
  process.stderr.write(`bridge needs Node.js 24 or newer (it runs its TypeScript sources directly); this is ${process.version}. In a checkout, use npm start / npm run bridge -- …, which run the pinned Node.js 24.\n`);
  process.exit(78);
}
await import('../src/cli/main.ts');

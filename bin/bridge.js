#!/usr/bin/env node
// The TypeScript sources run as they are (tsx), so an operator's `bridge` never runs stale output.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

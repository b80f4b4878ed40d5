import type { Command } from 'commander';
import { registerStack } from './stack.ts';
import { registerTopics } from './topics.ts';
import { registerReplay } from './replay.ts';
import { registerDlq } from './dlq.ts';
import { registerSchemasCommand } from './schemas.ts';
import { registerIngress } from './ingress.ts';
import { registerRun } from './run.ts';
import { registerDescribe } from './describe.ts';
import { registerStart } from './start.ts';
import { registerConnections } from './connections.ts';

/** Every `bridge` sub-command, registered explicitly (no import side effects). */
export const commands: ReadonlyArray<(program: Command) => void> = [registerStack, registerTopics, registerReplay, registerDlq, registerSchemasCommand, registerIngress, registerRun, registerDescribe, registerStart, registerConnections];

import type { Command } from 'commander';
import { registerStack } from './stack.ts';

/** Every `bridge` sub-command, registered explicitly (no import side effects). */
export const commands: ReadonlyArray<(program: Command) => void> = [registerStack];

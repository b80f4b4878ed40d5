import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.ts';
import { commands } from './commands/index.ts';

const program = new Command('bridge')
  .description('biometric-bridge: wearable webhooks → verified, normalized, enriched, routed Avro events')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else if (error instanceof ConfigError) {
    console.error(error.message);
    process.exitCode = 78; // EX_CONFIG
  } else {
    console.error(`bridge: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

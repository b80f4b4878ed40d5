import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.ts';
import { exitCodes } from '../operators/errors.ts';
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
    // Help and version end with 0; every other parser error is a usage error, as the commands' own refusals are (scripts tell them from a crash).
    process.exitCode = error.exitCode === 0 ? 0 : exitCodes.usage;
  } else if (error instanceof ConfigError) {
    console.error(error.message);
    process.exitCode = exitCodes.config;
  } else {
    console.error(`bridge: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import {
  OperatorError,
  checkSchema,
  exitCodes,
  type LocalSchema,
  type SchemaCheck,
} from '../../operators/index.ts';
import { createRegistryClient, loadSchemas, pipelineSubjects, registerSchemas, schemaDir, type RegistryClient } from '../../schemas/index.ts';
import { refusable } from './operator-kafka.ts';

interface SchemaOptions {
  dir?: string;
  file?: string;
  subject?: string;
}

// The loader joins directory and file name as they are.
const withSlash = (dir: string) => (dir.endsWith('/') ? dir : `${dir}/`);

/** The schemas to check: one file for one subject, or every pipeline subject from a directory. */
function localSchemas(options: SchemaOptions): LocalSchema[] {
  if (options.file || options.subject) {
    if (!options.file || !options.subject) {
      throw new OperatorError('--file and --subject go together', exitCodes.usage);
    }
    let text: string;
    try {
      text = JSON.stringify(JSON.parse(readFileSync(options.file, 'utf8')));
    } catch (error) {
      throw new OperatorError(`${options.file}: ${error instanceof Error ? error.message : String(error)}`, exitCodes.usage);
    }
    return [{ subject: options.subject, schema: text, file: options.file }];
  }
  const schemas = loadSchemas(withSlash(options.dir ?? schemaDir));
  return pipelineSubjects(schemas).map((s) => ({ subject: s.subject, schema: JSON.stringify(schemas[s.schema].json) }));
}

function describe(check: SchemaCheck): string {
  switch (check.status) {
    case 'registered':
      return `registered (version ${check.version})`;
    case 'new-subject':
      return 'not registered yet; the first version will be accepted';
    case 'compatible':
      return `compatible with version ${check.version} under ${check.level}; not registered yet`;
    case 'incompatible':
      return `INCOMPATIBLE with version ${check.version} under ${check.level}`;
  }
}

async function runChecks(client: RegistryClient, options: SchemaOptions): Promise<{ locals: LocalSchema[]; failed: number }> {
  const locals = localSchemas(options);
  let failed = 0;
  for (const local of locals) {
    const check = await checkSchema(client, local);
    console.log(`${check.subject.padEnd(40)} ${describe(check)}`);
    for (const problem of check.problems) console.log(`  - ${problem}`);
    if (check.status === 'incompatible') failed += 1;
  }
  return { locals, failed };
}

export function registerSchemasCommand(program: Command): void {
  const schemas = program.command('schemas').description('compare schemas/*.avsc with the registry, and register them');
  const withSource = (command: Command) =>
    command
      .option('--dir <path>', 'directory of .avsc files (default: schemas/)')
      .option('--file <avsc>', 'one schema file, checked against --subject')
      .option('--subject <subject>', 'the subject for --file, e.g. biometric.events-value');

  withSource(schemas.command('check'))
    .description('per subject: registered, compatible, or which compatibility rule it breaks (exit 65 if any is incompatible)')
    .action((options: SchemaOptions) =>
      refusable(async () => {
        const { failed } = await runChecks(createRegistryClient(loadConfig().SCHEMA_REGISTRY_URL), options);
        if (failed > 0) throw new OperatorError(`${failed} schema(s) incompatible with the registry`, exitCodes.incompatible);
      }),
    );

  withSource(schemas.command('register'))
    .description('register every schema after checking it; nothing is registered when any is incompatible')
    .action((options: SchemaOptions) =>
      refusable(async () => {
        const client = createRegistryClient(loadConfig().SCHEMA_REGISTRY_URL);
        const { locals, failed } = await runChecks(client, options);
        if (failed > 0) {
          throw new OperatorError(`${failed} schema(s) incompatible with the registry: nothing registered`, exitCodes.incompatible);
        }
        if (options.file) {
          for (const local of locals) console.log(`${local.subject}: id ${await client.register(local.subject, local.schema)}`);
          return;
        }
        const ids = await registerSchemas(client, options.dir ? { schemas: loadSchemas(withSlash(options.dir)) } : {});
        for (const [subject, id] of ids) console.log(`${subject}: id ${id}`);
      }),
    );
}

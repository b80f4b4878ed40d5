import type { Command } from 'commander';
import { loadConfig, type Env } from '../../config/index.ts';
import { createLogger } from '../../obs/logger.ts';
import { createMetricsRegistry } from '../../obs/metrics.ts';
import type { TopologyDescription } from '../../streams/index.ts';
import { createStageResources, stageTopologies, topologies as registeredTopologies, type TopologyFactory } from '../../app/index.ts';

/** Builds every registered topology without its start-up work (no connection is opened) and returns their descriptions. */
export async function describeStages(
  config: Readonly<Env>,
  registry: Partial<Record<string, TopologyFactory>> = registeredTopologies,
): Promise<TopologyDescription[]> {
  const resources = createStageResources(config, createLogger({ level: 'silent' }), createMetricsRegistry(), { startUp: false });
  try {
    const descriptions: TopologyDescription[] = [];
    for (const factory of Object.values(registry)) if (factory) for (const topology of await stageTopologies(factory, resources)) descriptions.push(topology.describe());
    return descriptions;
  } finally {
    await resources.close();
  }
}

export function registerDescribe(program: Command): void {
  program
    .command('describe')
    .description("print every registered stage's topology: sources → steps → sinks")
    .option('--json', 'print the graphs as JSON')
    .action(async (options: { json?: boolean }) => {
      const descriptions = await describeStages(loadConfig());
      if (descriptions.length === 0) console.log('no stages registered yet (src/app/stages/index.ts)');
      else if (options.json) console.log(JSON.stringify(descriptions, null, 2));
      else console.log(descriptions.map(String).join('\n\n'));
    });
}

import type { Logger } from '../obs/logger.ts';
import { errorName } from './error-policy.ts';
import type { Serializer } from './serde.ts';
import type { Topology } from './topology.ts';

/**
 * Warms the serdes of every topic the topology reads and writes by name (`Serde.warm`), all at
 * once. A stage's first records waited on the registry for each schema they met, one question
 * after another: at a steady load that wait became a backlog the stage then had to work off.
 * Never rejects: a serde that could not warm leaves it to its first record.
 */
export async function warmSerdes(topology: Topology, log: Logger): Promise<void> {
  const warming: Array<Promise<void>> = [];
  const warm = (serde: Serializer<unknown>, topic: string, side: 'read' | 'write') => {
    const done = serde.warm?.(topic, side);
    if (done) warming.push(done.catch((error: unknown) => log.debug({ error: errorName(error), topic, side, serde: serde.name }, 'warming a serde failed; its first record asks again')));
  };
  for (const source of topology.sources) {
    for (const topic of source.topics) {
      if (typeof topic !== 'string') continue;
      warm(source.key, topic, 'read');
      warm(source.value, topic, 'read');
    }
  }
  for (const node of topology.nodes) {
    if (node.type !== 'sink') continue;
    for (const topic of node.knownTopics) {
      warm(node.key, topic, 'write');
      warm(node.value, topic, 'write');
    }
  }
  await Promise.all(warming);
}

import type { Topology } from './topology.ts';

export interface NodeDescription {
  readonly name: string;
  readonly type: 'source' | 'processor' | 'sink';
  /** Processor kind (`map`, `filter`, …), or `source` / `sink`. */
  readonly kind: string;
  /** Source topics (names or `/pattern/`), or the sink topic (`<dynamic>` when computed per record). */
  readonly topics: readonly string[];
  readonly keySerde?: string;
  readonly valueSerde?: string;
  /** Branch labels, in successor order. */
  readonly labels?: readonly string[];
  readonly successors: readonly string[];
  readonly predecessors: readonly string[];
}

export interface TopologyDescription {
  readonly name: string;
  readonly groupId: string;
  readonly deadLetterTopic: string;
  readonly nodes: readonly NodeDescription[];
  toString(): string;
}

export function describeTopology(topology: Topology): TopologyDescription {
  const nodes: NodeDescription[] = topology.nodes.map((node) => {
    const links = { successors: node.successors.map((n) => n.name), predecessors: node.predecessors.map((n) => n.name) };
    switch (node.type) {
      case 'source':
        return { name: node.name, type: 'source', kind: 'source', topics: node.topics.map(String), keySerde: node.key.name, valueSerde: node.value.name, ...links };
      case 'sink':
        return {
          name: node.name,
          type: 'sink',
          kind: 'sink',
          topics: [typeof node.topic === 'string' ? node.topic : '<dynamic>'],
          keySerde: node.key.name,
          valueSerde: node.value.name,
          ...links,
        };
      case 'processor':
        return { name: node.name, type: 'processor', kind: node.kind, topics: [], ...(node.labels ? { labels: node.labels } : {}), ...links };
    }
  });
  const description = { name: topology.name, groupId: topology.groupId, deadLetterTopic: topology.deadLetterTopic, nodes };
  return { ...description, toString: () => formatDescription(description) };
}

function formatDescription(d: Omit<TopologyDescription, 'toString'>): string {
  const lines = [`Topology: ${d.name} (group ${d.groupId}, dead letters ${d.deadLetterTopic})`];
  for (const node of d.nodes) {
    const serdes = node.keySerde ? `; key: ${node.keySerde}, value: ${node.valueSerde}` : '';
    if (node.type === 'source') lines.push(`  Source: ${node.name} (topics: [${node.topics.join(', ')}]${serdes})`);
    if (node.type === 'processor') lines.push(`  Processor: ${node.name} (${node.kind})`);
    if (node.type === 'sink') lines.push(`  Sink: ${node.name} (topic: ${node.topics[0]}${serdes})`);
    node.successors.forEach((successor, i) => {
      const label = node.labels?.[i];
      lines.push(`    --> ${successor}${label ? ` [${label}]` : ''}`);
    });
    if (node.predecessors.length > 0) lines.push(`    <-- ${node.predecessors.join(', ')}`);
  }
  return lines.join('\n');
}

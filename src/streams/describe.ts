import type { GraphNode } from './graph.ts';
import type { StateStoreSpec } from './state/spec.ts';

/** What describe() reads of a built topology. */
export interface DescribableTopology {
  readonly name: string;
  readonly groupId: string;
  readonly deadLetterTopic: string;
  readonly recordConcurrency: number;
  readonly orderedByKey: boolean;
  readonly nodes: readonly GraphNode[];
  readonly stateStores: readonly StateStoreSpec[];
}

export interface StateStoreDescription {
  readonly name: string;
  readonly kind: 'key-value' | 'window';
  readonly changelogTopic: string;
  readonly keySerde: string;
  readonly valueSerde: string;
  /** Window stores: size, grace, retention and (when set) how far ahead of the clock a record counts, in ms. */
  readonly windows?: { readonly sizeMs: number; readonly graceMs: number; readonly retentionMs: number; readonly aheadMs?: number };
}

export interface NodeDescription {
  readonly name: string;
  readonly type: 'source' | 'processor' | 'sink' | 'store';
  /** Processor kind (`map`, `filter`, …), or `source` / `sink` / `store`. */
  readonly kind: string;
  /** Source topics (names or `/pattern/`), or the sink topic (`<dynamic>` when computed per record). */
  readonly topics: readonly string[];
  /** Store nodes: records per write and writes at once. */
  readonly maxBatch?: number;
  readonly maxInFlight?: number;
  readonly keySerde?: string;
  readonly valueSerde?: string;
  /** Branch labels, in successor order. */
  readonly labels?: readonly string[];
  /** A `<dynamic>` sink's topics, when it names them (SinkOptions.topics). */
  readonly knownTopics?: readonly string[];
  readonly successors: readonly string[];
  readonly predecessors: readonly string[];
}

export interface TopologyDescription {
  readonly name: string;
  readonly groupId: string;
  readonly deadLetterTopic: string;
  /** Records of one partition processed at once (same key: in order, unless orderedByKey is false). */
  readonly recordConcurrency: number;
  readonly orderedByKey: boolean;
  readonly nodes: readonly NodeDescription[];
  readonly stateStores: readonly StateStoreDescription[];
  toString(): string;
}

export function describeTopology(topology: DescribableTopology): TopologyDescription {
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
          ...(typeof node.topic !== 'string' && node.knownTopics.length > 0 ? { knownTopics: node.knownTopics } : {}),
          keySerde: node.key.name,
          valueSerde: node.value.name,
          ...links,
        };
      case 'store':
        return { name: node.name, type: 'store', kind: 'store', topics: [], maxBatch: node.maxBatch, maxInFlight: node.maxInFlight, ...links };
      case 'processor':
        return { name: node.name, type: 'processor', kind: node.kind, topics: [], ...(node.labels ? { labels: node.labels } : {}), ...links };
    }
  });
  const stateStores: StateStoreDescription[] = topology.stateStores.map((store) => ({
    name: store.name,
    kind: store.windows ? 'window' : 'key-value',
    changelogTopic: store.changelogTopic,
    keySerde: store.key.name,
    valueSerde: store.value.name,
    ...(store.windows ? { windows: { ...store.windows } } : {}),
  }));
  const description = { name: topology.name, groupId: topology.groupId, deadLetterTopic: topology.deadLetterTopic, recordConcurrency: topology.recordConcurrency, orderedByKey: topology.orderedByKey, nodes, stateStores };
  return { ...description, toString: () => formatDescription(description) };
}

function formatDescription(d: Omit<TopologyDescription, 'toString'>): string {
  const concurrency = d.recordConcurrency > 1 ? `, ${d.recordConcurrency} records at once per partition${d.orderedByKey ? '' : ' in any order'}` : '';
  const lines = [`Topology: ${d.name} (group ${d.groupId}, dead letters ${d.deadLetterTopic}${concurrency})`];
  for (const node of d.nodes) {
    const serdes = node.keySerde ? `; key: ${node.keySerde}, value: ${node.valueSerde}` : '';
    if (node.type === 'source') lines.push(`  Source: ${node.name} (topics: [${node.topics.join(', ')}]${serdes})`);
    if (node.type === 'processor') lines.push(`  Processor: ${node.name} (${node.kind})`);
    const oneOf = node.knownTopics ? `, one of [${node.knownTopics.join(', ')}]` : '';
    if (node.type === 'sink') lines.push(`  Sink: ${node.name} (topic: ${node.topics[0]}${oneOf}${serdes})`);
    if (node.type === 'store') lines.push(`  Store: ${node.name} (max batch: ${node.maxBatch}, in flight: ${node.maxInFlight})`);
    node.successors.forEach((successor, i) => {
      const label = node.labels?.[i];
      lines.push(`    --> ${successor}${label ? ` [${label}]` : ''}`);
    });
    if (node.predecessors.length > 0) lines.push(`    <-- ${node.predecessors.join(', ')}`);
  }
  for (const store of d.stateStores) {
    const ahead = store.windows?.aheadMs === undefined ? '' : `, ahead of the clock at most ${span(store.windows.aheadMs)}`;
    const windows = store.windows ? `, windows of ${span(store.windows.sizeMs)}, grace ${span(store.windows.graceMs)}, retention ${span(store.windows.retentionMs)}${ahead}` : '';
    lines.push(`  State store: ${store.name} (${store.kind}, changelog: ${store.changelogTopic}; key: ${store.keySerde}, value: ${store.valueSerde}${windows})`);
  }
  return lines.join('\n');
}

const spanUnits: ReadonlyArray<readonly [string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1_000]];

/** A window setting in the largest unit it is a whole number of (`1 d`, `90 min`), else in ms: what an operator reads it in. */
function span(ms: number): string {
  const unit = spanUnits.find(([, size]) => ms > 0 && ms % size === 0);
  return unit ? `${ms / unit[1]} ${unit[0]}` : `${ms} ms`;
}

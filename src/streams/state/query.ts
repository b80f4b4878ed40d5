import kafkajs, { type Admin, type GroupDescription } from 'kafkajs';
import { keyPartition, PartitionCounts } from '../key-partition.ts';
import { raceTimeout } from '../awaitable.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { isKafkaUnavailable } from '../kafka-unavailable.ts';
import type { StateStores } from './state-stores.ts';

const { AssignerProtocol } = kafkajs;

/** The group member that holds a partition, and where it answers queries when it said so. */
export interface StoreOwner {
  readonly clientId: string;
  readonly host: string;
  readonly memberId: string;
  /** The URL its queries are served at (the member's `queryEndpoint`), when it gave one. */
  readonly endpoint?: string;
}

/** Where a key of a store lives, and its value when this instance holds it. */
export type StateQueryAnswer =
  | { readonly where: 'here'; readonly partition: number; readonly value: unknown }
  | { readonly where: 'elsewhere'; readonly partition: number; readonly owner: StoreOwner }
  /** No member holds the partition, or this instance's group is rebalancing: ask again shortly. */
  | { readonly where: 'unassigned'; readonly partition: number }
  /** The partition is this instance's, its stores not restored yet. */
  | { readonly where: 'restoring'; readonly partition: number };

/**
 * What a member tells the others about itself in its group metadata (the assignor's user data):
 * where it serves state queries, or the port, which the others join to the host the broker saw.
 */
export interface QueryEndpointData {
  readonly endpoint?: string;
  readonly port?: number;
}

export function encodeQueryEndpoint(data: QueryEndpointData | undefined): Buffer {
  return data === undefined || (data.endpoint === undefined && data.port === undefined) ? Buffer.alloc(0) : Buffer.from(JSON.stringify(data));
}

/** The endpoint a member's metadata names; undefined for a member of an older build (no user data) or one that named none. */
export function decodeQueryEndpoint(userData: Buffer | undefined, host: string): string | undefined {
  if (!userData || userData.length === 0) return undefined;
  let data: QueryEndpointData;
  try {
    data = JSON.parse(userData.toString('utf8')) as QueryEndpointData;
  } catch {
    return undefined;
  }
  if (typeof data.endpoint === 'string') return data.endpoint;
  if (typeof data.port === 'number' && host !== '') return `http://${host.includes(':') ? `[${host}]` : host}:${data.port}`;
  return undefined;
}

export interface StoreQueriesOptions {
  /** A connected admin client of its own (few retries: a query answers within `timeoutMs`). */
  readonly admin: () => Promise<Admin>;
  readonly groupId: string;
  readonly state: StateStores;
  /** The topic whose producers partition the keys (the topology's input): its partition count places a key. */
  readonly keyTopic: string;
  /** This instance's partitions now; undefined while its group rebalances (its consumer rejoining). */
  readonly owned: () => ReadonlySet<number> | undefined;
  /** A query that Kafka does not answer within this gives up: DependencyUnavailableError. */
  readonly timeoutMs?: number; // 3_000
  /** How long the key topic's partition count is trusted before it is read again. */
  readonly partitionCountTtlMs?: number; // 30_000
  readonly now?: () => number;
}

/**
 * Answers key lookups as Kafka Streams' interactive queries do: the key's partition (the store
 * is keyed like the input, so the producers' murmur2 partitioner over the input's partitions
 * finds it), the committed value when that partition is restored here, else the group member
 * that holds it and the endpoint it gave.
 */
export class StoreQueries {
  readonly #options: StoreQueriesOptions;
  readonly #partitionCounts: PartitionCounts;

  constructor(options: StoreQueriesOptions) {
    this.#options = options;
    this.#partitionCounts = new PartitionCounts(async (topic) => (await this.#kafka('read the input topic', (admin) => admin.fetchTopicOffsets(topic))).length, options.partitionCountTtlMs ?? 30_000, options.now);
  }

  async query(store: string, key: unknown): Promise<StateQueryAnswer> {
    const { state } = this.#options;
    const bytes = await state.keyBytes(store, key);
    const { keyTopic } = this.#options;
    const partition = keyPartition(keyTopic, await this.#partitionCounts.of(keyTopic), bytes);
    const owned = this.#options.owned();
    if (owned === undefined) return { where: 'unassigned', partition };
    if (owned.has(partition)) {
      const found = await state.lookupRestored(store, partition, bytes);
      if (found.restored) return { where: 'here', partition, value: found.value };
      // Restoring already, or its restore at the assignment failed and no record has come to
      // start it again: the query starts it (or joins it), and does not wait for it.
      state.ready(partition).catch(() => undefined);
      return { where: 'restoring', partition };
    }
    const [group] = (await this.#kafka('describe the group', (admin) => admin.describeGroups([this.#options.groupId]))).groups;
    const owner = ownerOf(group, partition);
    return owner ? { where: 'elsewhere', partition, owner } : { where: 'unassigned', partition };
  }

  /** A Kafka call bounded by the query's timeout; Kafka not answering is DependencyUnavailableError. */
  async #kafka<T>(what: string, call: (admin: Admin) => Promise<T>): Promise<T> {
    const timeoutMs = this.#options.timeoutMs ?? 3_000;
    try {
      return await raceTimeout(this.#options.admin().then(call), timeoutMs, (): never => {
        throw new DependencyUnavailableError('kafka', 1_000, { cause: new Error(`kafka did not answer within ${timeoutMs} ms to ${what}`) });
      });
    } catch (error) {
      if (isKafkaUnavailable(error)) throw new DependencyUnavailableError('kafka', 1_000, { cause: error });
      throw error;
    }
  }
}

function ownerOf(group: GroupDescription | undefined, partition: number): StoreOwner | undefined {
  for (const member of group?.members ?? []) {
    const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    if (!Object.values(assignment?.assignment ?? {}).some((list) => list.includes(partition))) continue;
    const host = member.clientHost.replace(/^\//, '');
    const endpoint = decodeQueryEndpoint(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.userData, host);
    return { clientId: member.clientId, host, memberId: member.memberId, ...(endpoint === undefined ? {} : { endpoint }) };
  }
  return undefined;
}

import type { Serde } from '../serde.ts';

/** Event-time windows of a window store. */
export interface WindowSpec {
  /** Length of one window; windows are aligned to the epoch (a day starts at 00:00 UTC). */
  readonly sizeMs: number;
  /** How long after a window ends it still accepts records, measured in event time of the same key. */
  readonly graceMs: number;
  /** How long a window is kept after it ends, in event time of the same key; at least `graceMs`. */
  readonly retentionMs: number;
  /**
   * How far ahead of the clock a record may lie and still count: one further ahead (a device
   * clock set wrong) would close and expire windows still open now, so it is dropped. Default:
   * the larger of `graceMs` and `sizeMs`.
   */
  readonly aheadMs?: number;
}

/** A declared store as the runtime keeps it. */
export interface StateStoreSpec {
  readonly name: string;
  readonly key: Serde<unknown>;
  readonly value: Serde<unknown>;
  /** Set for window stores: values are `Windowed` envelopes. */
  readonly windows?: WindowSpec;
  /** Set for window stores: how one window's aggregate is written (`value` is windowedSerde of it). */
  readonly aggregate?: Serde<unknown>;
  /** `<group>-<store>-changelog`, compacted, one partition per input partition. */
  readonly changelogTopic: string;
}

/** A handle to a key-value store, returned by `builder.addStateStore` and passed to `ctx.store`. */
export interface KeyValueStoreRef<K, V> {
  readonly kind: 'key-value';
  readonly name: string;
  /** Never set: carries the key and value types for `ctx.store`. */
  readonly types?: { key: K; value: V };
}

/** A handle to a window store, returned by `builder.addWindowStore` and passed to `ctx.store`. */
export interface WindowStoreRef<K, A> {
  readonly kind: 'window';
  readonly name: string;
  readonly windows: WindowSpec;
  readonly types?: { key: K; aggregate: A };
}

export type StoreRef = KeyValueStoreRef<unknown, unknown> | WindowStoreRef<unknown, unknown>;

export function changelogTopicOf(groupId: string, store: string): string {
  return `${groupId}-${store}-changelog`;
}

/** Whether `topic` is named as the changelog of one of `groupId`'s stores (`changelogTopicOf`). */
export function isChangelogOf(groupId: string, topic: string): boolean {
  const prefix = `${groupId}-`;
  const suffix = '-changelog';
  return topic.length > prefix.length + suffix.length && topic.startsWith(prefix) && topic.endsWith(suffix);
}

import { advance, encodeCursor, isBehind, type Cursor } from './cursor.ts';
import { eventBody, type Frame, type RoutedRecord } from './record.ts';

export type Transport = 'sse' | 'websocket';

/** Why the server ended a connection; each is counted in bridge_push_drops_total. */
export type DropReason = 'slow-client' | 'replay-overflow' | 'replay-failed' | 'token-expired' | 'protocol-error';

/** One connected client, as the hub sees it; the transports implement it. */
export interface Subscriber {
  readonly userId: string;
  readonly transport: Transport;
  /** Writes one frame; false when the client has more unsent than allowed, and is to be dropped. */
  send(frame: Frame): boolean;
  /** Ends the connection, telling the client why where the transport can. */
  drop(reason: DropReason): void;
}

/** The priority topics as the hub needs them: positions now, and a user's records since a cursor. */
export interface PriorityLog {
  /** Each priority topic's partition for this user and the offset last written there. */
  latest(userId: string): Promise<Cursor>;
  /**
   * This user's records after `from`, up to at least the end of each partition as of the call.
   * `signal` aborts when the client has gone: the replay stops (and may reject).
   */
  replay(userId: string, from: Cursor, deliver: (record: RoutedRecord) => void, signal: AbortSignal): Promise<void>;
}

export interface HubOptions {
  readonly log: PriorityLog;
  /** Live records held for one client while its replay runs; past this it is dropped. */
  readonly maxPending: number;
  /** `live` is false for records a replay re-read. */
  onDelivered?(record: RoutedRecord, subscriber: Subscriber, live: boolean): void;
  onDropped?(reason: DropReason, subscriber: Subscriber): void;
}

export interface Hub {
  /**
   * Starts a client's stream: from `resumeFrom` (a reconnect) with every record since, else from
   * now. Resolves once the client is live; never rejects (a failed replay drops the client).
   * `until` ends the stream when it aborts, even before then: the client is removed at once and
   * its replay stopped.
   */
  subscribe(subscriber: Subscriber, resumeFrom?: Cursor, until?: AbortSignal): Promise<Session>;
  /** Hands one live record to its user's clients. */
  publish(record: RoutedRecord): void;
  /** Connected clients. */
  size(): number;
}

export interface Session {
  close(): void;
}

interface State {
  readonly subscriber: Subscriber;
  cursor: Cursor;
  /**
   * Topics whose position was not delivered to this client but estimated at subscribe time: a
   * record there is sent even if it sits behind the estimate (the live feed may lag the log end).
   */
  readonly estimated: Set<string>;
  /** Live records that arrived while the start position was being read; undefined once live. */
  pending: RoutedRecord[] | undefined;
  closed: boolean;
  /** Aborts once the client is removed, which stops its replay. */
  readonly removed: AbortController;
}

/**
 * Fans routed records out to the clients of their user. A client sees its records once each and in
 * order per topic: the cursor skips what a replay and the live feed both carry.
 */
export function createHub(options: HubOptions): Hub {
  const byUser = new Map<string, Set<State>>();
  /** The last offset the live feed handed over per topic/partition: what a new client starts after. */
  const published = new Map<string, bigint>();
  let connected = 0;

  const remove = (state: State): void => {
    if (state.closed) return;
    state.closed = true;
    state.removed.abort();
    connected -= 1;
    const states = byUser.get(state.subscriber.userId);
    states?.delete(state);
    if (states?.size === 0) byUser.delete(state.subscriber.userId);
  };

  const drop = (state: State, reason: DropReason): void => {
    if (state.closed) return;
    remove(state);
    options.onDropped?.(reason, state.subscriber);
    state.subscriber.drop(reason);
  };

  const offer = (state: State, record: RoutedRecord, live = true): void => {
    if (state.closed) return;
    if (!state.estimated.has(record.topic) && isBehind(state.cursor, record.topic, record.partition, record.offset)) return;
    state.estimated.delete(record.topic);
    state.cursor = advance(state.cursor, record.topic, record.partition, record.offset);
    // Route writes a deletion to every priority topic; a client gets it once, from normal's copy.
    if (record.enriched.event.op === 'DELETE' && record.priority !== 'normal') return;
    if (!state.subscriber.send({ kind: 'event', id: encodeCursor(state.cursor), data: eventBody(record) })) return drop(state, 'slow-client');
    options.onDelivered?.(record, state.subscriber, live);
  };

  return {
    async subscribe(subscriber, resumeFrom, until) {
      if (until?.aborted) return { close: () => undefined };
      const state: State = { subscriber, cursor: new Map(), estimated: new Set(), pending: [], closed: false, removed: new AbortController() };
      until?.addEventListener('abort', () => remove(state), { once: true });
      // Taken with the registration, so every later record of the feed reaches this client.
      const publishedAtStart = new Map(published);
      connected += 1;
      const states = byUser.get(subscriber.userId) ?? new Set<State>();
      byUser.set(subscriber.userId, states);
      states.add(state);
      try {
        // Positions for every topic first, so the ready id resumes even topics with nothing sent yet.
        const latest = await options.log.latest(subscriber.userId);
        const cursor = new Map(resumeFrom);
        for (const [topic, position] of latest) {
          if (cursor.has(topic)) continue;
          const fed = publishedAtStart.get(`${topic}/${position.partition}`);
          cursor.set(topic, { partition: position.partition, offset: fed ?? position.offset });
          state.estimated.add(topic);
        }
        state.cursor = cursor;
        if (resumeFrom !== undefined && resumeFrom.size > 0) await options.log.replay(subscriber.userId, resumeFrom, (record) => offer(state, record, false), state.removed.signal);
      } catch {
        drop(state, 'replay-failed');
        return { close: () => remove(state) };
      }
      if (!state.closed) {
        const pending = state.pending ?? [];
        state.pending = undefined;
        if (!subscriber.send({ kind: 'ready', id: encodeCursor(state.cursor), data: '{}' })) drop(state, 'slow-client');
        for (const record of pending) offer(state, record);
      }
      return { close: () => remove(state) };
    },

    publish(record) {
      published.set(`${record.topic}/${record.partition}`, record.offset);
      for (const state of byUser.get(record.userId) ?? []) {
        if (state.pending === undefined) offer(state, record);
        else if (state.pending.length < options.maxPending) state.pending.push(record);
        else drop(state, 'replay-overflow');
      }
    },

    size: () => connected,
  };
}

import { priorities, priorityTopic, type Priority } from '../topics.ts';

/** Where one user's stream stands on one priority topic: the partition and the last offset sent. */
export interface TopicPosition {
  readonly partition: number;
  /** The last offset delivered (or skipped as before the subscription); -1 before the first. */
  readonly offset: bigint;
}

/**
 * A client's place in its own stream: one position per priority topic. It is the SSE event id and
 * the WebSocket resume token, so a reconnect names exactly where to re-read the user's partitions.
 */
export type Cursor = ReadonlyMap<string, TopicPosition>;

const shortName: Record<Priority, string> = { high: 'h', medium: 'm', normal: 'n' };
const topicOfShort = new Map(priorities.map((p) => [shortName[p], priorityTopic(p)]));
const shortOfTopic = new Map(priorities.map((p) => [priorityTopic(p), shortName[p]]));
const part = /^([hmn])(\d{1,5})-(-1|\d{1,19})$/;

/** `h3-120.m3-55.n3-9001`: priority initial, partition, last offset; short enough for a header. */
export function encodeCursor(cursor: Cursor): string {
  return [...cursor]
    .filter(([topic]) => shortOfTopic.has(topic))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([topic, { partition, offset }]) => `${shortOfTopic.get(topic)}${partition}-${offset}`)
    .join('.');
}

export class CursorError extends Error {
  override readonly name = 'CursorError';
}

/** Reads a cursor a client sent back; anything else is a CursorError that says what is expected. */
export function decodeCursor(text: string): Cursor {
  const cursor = new Map<string, TopicPosition>();
  if (text.length > 200) throw new CursorError('resume position is longer than any this server writes');
  for (const piece of text.split('.')) {
    const match = part.exec(piece);
    const topic = match && topicOfShort.get(match[1]!);
    if (!match || !topic || cursor.has(topic)) {
      throw new CursorError('resume position must be the id of an event this server sent, e.g. h3-120.m3-55.n3-9001');
    }
    cursor.set(topic, { partition: Number(match[2]), offset: BigInt(match[3]!) });
  }
  return cursor;
}

/** The partition of each priority topic that holds one user's records (route keys by user id). */
export type UserPartitions = ReadonlyMap<string, number>;

/**
 * Why a cursor cannot be this user's, or undefined when it can: every position must be on the
 * user's own partition of its topic. Another partition holds none of their records, and reading
 * it from an old offset would cost a long read for nothing.
 */
export function foreignPosition(cursor: Cursor, partitions: UserPartitions): string | undefined {
  for (const [topic, { partition }] of cursor) {
    const own = partitions.get(topic);
    // Within a 123-byte WebSocket close reason.
    if (own !== partition) return `resume position names partition ${partition} of ${topic}; this user's is ${own ?? 'unknown'}: reconnect without it`;
  }
  return undefined;
}

/** Whether a record at this place was already delivered (or predates the subscription). */
export function isBehind(cursor: Cursor, topic: string, partition: number, offset: bigint): boolean {
  const position = cursor.get(topic);
  return position !== undefined && position.partition === partition && offset <= position.offset;
}

/** The cursor after delivering one record. */
export function advance(cursor: Cursor, topic: string, partition: number, offset: bigint): Cursor {
  const next = new Map(cursor);
  next.set(topic, { partition, offset });
  return next;
}

// The patched kafkajs filter of a read_committed fetch: a record of an aborted transaction is
// never delivered. The broker lists the aborted transactions that overlap the fetched range, in
// the order their abort markers were written; the records of concurrent transactions interleave.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const require = createRequire(import.meta.url);
interface Message {
  offset: string;
  key: Buffer | null;
  batchContext: { producerId: string; inTransaction: boolean };
}
const filterAbortedMessages = require('kafkajs/src/consumer/filterAbortedMessages.js') as (args: { messages: Message[]; abortedTransactions: Array<{ producerId: string; firstOffset: string }> }) => Message[];

const data = (offset: number, producerId: string): Message => ({ offset: String(offset), key: Buffer.from('k'), batchContext: { producerId, inTransaction: true } });
const abortMarker = (offset: number, producerId: string): Message => ({ offset: String(offset), key: Buffer.from([0, 0, 0, 0]), batchContext: { producerId, inTransaction: true } });
const commitMarker = (offset: number, producerId: string): Message => ({ offset: String(offset), key: Buffer.from([0, 0, 0, 1]), batchContext: { producerId, inTransaction: true } });
const dataOffsets = (messages: Message[]) => messages.filter((m) => m.key?.length !== 4).map((m) => Number(m.offset));

test('a fetch that starts inside several aborted transactions drops the records of every one of them', () => {
  // Producers 320, 318, 323 and 319 each had a transaction open when a broker restarted; all four
  // were aborted. 320's began at 981, before this fetch (from 984) starts.
  const messages = [data(984, '318'), data(985, '320'), data(986, '323'), data(987, '319'), abortMarker(988, '320'), abortMarker(989, '318'), abortMarker(990, '323'), abortMarker(991, '319'), data(992, '400')];
  const aborted = [
    { producerId: '320', firstOffset: '981' },
    { producerId: '318', firstOffset: '984' },
    { producerId: '323', firstOffset: '986' },
    { producerId: '319', firstOffset: '987' },
  ];
  assert.equal(dataOffsets(filterAbortedMessages({ messages, abortedTransactions: aborted })), [992], 'only the record of the open producer after the markers');
});

test('aborted transactions listed out of offset order still apply from their first offsets', () => {
  const messages = [data(10, 'a'), data(11, 'b'), data(12, 'c'), abortMarker(13, 'b'), abortMarker(14, 'a'), commitMarker(15, 'c')];
  const aborted = [
    { producerId: 'b', firstOffset: '11' },
    { producerId: 'a', firstOffset: '10' },
  ];
  assert.equal(dataOffsets(filterAbortedMessages({ messages, abortedTransactions: aborted })), [12], 'c committed; a and b aborted');
});

test('a producer whose transaction was aborted is read again after its abort marker', () => {
  const messages = [data(0, 'p'), abortMarker(1, 'p'), data(2, 'p'), commitMarker(3, 'p')];
  assert.equal(dataOffsets(filterAbortedMessages({ messages, abortedTransactions: [{ producerId: 'p', firstOffset: '0' }] })), [2], 'the next transaction of the same producer is kept');
});

test.run();

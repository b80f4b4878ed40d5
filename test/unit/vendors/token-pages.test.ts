import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordError } from '../../../src/streams/errors.ts';
import { everyPage, pageOf } from '../../../src/vendors/kit/token-pages.ts';

/** A vendor's list as pages: each page's token → its items and the next token. */
function pages(served: Record<string, { items: number[]; next?: string }>) {
  const asked: Array<string | undefined> = [];
  const page = async (token: string | undefined) => {
    asked.push(token);
    const found = served[token ?? '']!;
    return pageOf({ data: found.items.map((n) => ({ n })), ...(found.next === undefined ? {} : { next_token: found.next }) }, 'data', 'next_token');
  };
  return { page, asked };
}

test('every page is read in turn until one names no next token; an empty token ends the list too', async () => {
  const list = pages({ '': { items: [1, 2], next: 'b' }, b: { items: [3], next: 'c' }, c: { items: [], next: '' } });
  assert.equal((await everyPage('oura', list.page)).map((item) => item['n']), [1, 2, 3]);
  assert.equal(list.asked, [undefined, 'b', 'c']);
});

test('a next token the vendor already served ends the read as malformed_resource, not a loop without end', async () => {
  const list = pages({ '': { items: [1], next: 'b' }, b: { items: [2], next: 'c' }, c: { items: [3], next: 'b' } });
  const error = await everyPage('whoop', list.page).catch((e: unknown) => e);
  assert.instance(error, RecordError);
  assert.is((error as RecordError).reason, 'malformed_resource');
  assert.match((error as RecordError).detail, 'whoop named a page it had already served');
  assert.equal(list.asked, [undefined, 'b', 'c'], 'expected no page asked for twice');
});

test.run();

import { RecordError } from '../../streams/errors.ts';
import { arrayAt, isObject, stringAt, type JsonObject } from './payload-fields.ts';

/** Pages of a list asked for in turn: the page for a token (none: the first), its items, and the next page's token. */
export type TokenPage = (token: string | undefined) => Promise<{ readonly items: readonly JsonObject[]; readonly next: string | undefined }>;

/**
 * Every item of a token-paged list (Oura's and WHOOP's `next_token`, Google Health's
 * `nextPageToken`): pages until one names no next token. A token that comes back a second time
 * would have the list read without end, each page a request of the app's rate budget: the record
 * fails as `malformed_resource` instead.
 */
export async function everyPage(vendor: string, page: TokenPage): Promise<JsonObject[]> {
  const items: JsonObject[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const answer = await page(token);
    items.push(...answer.items);
    token = answer.next;
    if (token !== undefined && seen.has(token)) throw new RecordError('malformed_resource', `${vendor} named a page it had already served as the next one: the list would be read without end`);
    if (token !== undefined) seen.add(token);
  } while (token !== undefined);
  return items;
}

/** A page's objects under `field`, and its next token under `nextField` (an empty one ends the list). */
export function pageOf(answer: JsonObject, field: string, nextField: string): { items: JsonObject[]; next: string | undefined } {
  const next = stringAt(answer, nextField);
  return { items: (arrayAt(answer, field) ?? []).filter(isObject), next: next === '' ? undefined : next };
}

import type pg from 'pg';
import { isVendorId, saveConnection, type SaveConnection } from './connection-rows.ts';
import { jsonErrorPosition } from './json-error-position.ts';
import type { TokenCipher } from './token-cipher.ts';

/**
 * Bulk import of users connected elsewhere. One record per connection, in CSV (a header line,
 * RFC 4180 quoting) or JSON (an array of objects), with the fields
 * `vendor, vendor_user_id, user_id, access_token, refresh_token, expires_at, scopes`
 * (refresh_token, expires_at (ISO 8601) and scopes (space-separated) optional).
 */
export interface ImportResult {
  readonly imported: number;
  /** One line per bad record (its number and what to fix), or one for a file that cannot be read as its format; never a token value. */
  readonly problems: readonly string[];
}

const required = ['vendor', 'vendor_user_id', 'user_id', 'access_token'] as const;

/**
 * A small RFC 4180 reader (quoted fields, doubled quotes, CRLF): the import is the only CSV the
 * project reads, so a dependency would cost more than these lines.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

type Records = { readonly records: Array<Record<string, unknown>> } | { readonly problem: string };

function jsonRecords(text: string): Records {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the file around the error, where a token may stand: say where only.
    const at = jsonErrorPosition(text);
    return { problem: `the file is not JSON${at === undefined ? '' : ` (line ${at.line}, column ${at.column})`}` };
  }
  if (!Array.isArray(parsed)) return { problem: 'a JSON import must be an array of objects' };
  return { records: parsed.map((item) => (typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {})) };
}

function recordsOf(text: string, format: 'csv' | 'json'): Records {
  if (format === 'json') return jsonRecords(text);
  const [header, ...lines] = parseCsv(text);
  if (header === undefined) return { records: [] };
  const names = header.map((name) => name.trim());
  return { records: lines.map((line) => Object.fromEntries(names.map((name, i) => [name, line[i]?.trim() ?? '']))) };
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function parseImport(content: string, format: 'csv' | 'json'): { connections: SaveConnection[]; problems: string[] } {
  const connections: SaveConnection[] = [];
  const problems: string[] = [];
  const read = recordsOf(content, format);
  if ('problem' in read) return { connections, problems: [read.problem] };
  read.records.forEach((record, index) => {
    const where = `record ${index + 1}`;
    const missing = required.filter((name) => text(record[name]) === undefined);
    if (missing.length > 0) return void problems.push(`${where}: missing ${missing.join(', ')}`);
    const vendor = text(record['vendor'])!;
    if (!isVendorId(vendor)) return void problems.push(`${where}: unknown vendor "${vendor}"`);
    const expires = text(record['expires_at']);
    const expiresAt = expires === undefined ? undefined : new Date(expires);
    if (expiresAt !== undefined && Number.isNaN(expiresAt.getTime())) return void problems.push(`${where}: expires_at is not an ISO 8601 time`);
    const scopes = record['scopes'];
    const refreshToken = text(record['refresh_token']);
    connections.push({
      vendor,
      vendorUserId: text(record['vendor_user_id'])!,
      userId: text(record['user_id'])!,
      scopes: Array.isArray(scopes) ? scopes.map(String) : (text(scopes)?.split(/[\s,]+/) ?? []),
      tokens: { accessToken: text(record['access_token'])!, ...(refreshToken === undefined ? {} : { refreshToken }), ...(expiresAt === undefined ? {} : { expiresAt }) },
    });
  });
  return { connections, problems };
}

/** All or nothing: a file with any bad record imports nothing and lists every problem. */
export async function importConnections(pool: pg.Pool, cipher: TokenCipher, content: string, format: 'csv' | 'json'): Promise<ImportResult> {
  const { connections, problems } = parseImport(content, format);
  if (problems.length > 0) return { imported: 0, problems };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const connection of connections) await saveConnection(client, cipher, connection);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined); // the original error is the one to report
    throw error;
  } finally {
    client.release();
  }
  return { imported: connections.length, problems: [] };
}

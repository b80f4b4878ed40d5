/**
 * The one client of the Confluent-compatible schema registry (Apicurio's ccompat API in the
 * stack): stages reach it through the schema store, operators' commands directly. It speaks the
 * REST API over fetch because the compatibility endpoint and the 404/409 bodies an operator needs
 * to see are exactly what off-the-shelf clients hide.
 */
export interface RegisteredVersion {
  version: number;
  id: number;
  schema: string;
}

export interface RegistryClient {
  readonly url: string;
  versions(subject: string): Promise<number[]>;
  version(subject: string, version: number): Promise<RegisteredVersion>;
  /** The registered version equal to this schema, if any: a read, so it works on a read-only registry. */
  lookup(subject: string, schema: string): Promise<RegisteredVersion | undefined>;
  /** Whether the subject's compatibility level lets this schema follow what it has registered (every version under a transitive level); true for a subject without versions. */
  compatibleWithRegistered(subject: string, schema: string): Promise<boolean>;
  /** Registers the schema (idempotent: an unchanged schema keeps its id) and returns its id. */
  register(subject: string, schema: string): Promise<number>;
  compatibilityLevel(subject: string): Promise<string>;
  setCompatibilityLevel(subject: string, level: string): Promise<void>;
  /** The schema text registered under a global id (what a record's wire header names). */
  schemaById(id: number): Promise<string>;
  /** True when the registry answers a read. */
  ping(): Promise<boolean>;
}

/**
 * A registry call that did not succeed. `status` is the HTTP status, or 0 when the registry did
 * not answer at all (refused, reset, timed out).
 */
export class RegistryError extends Error {
  readonly status: number;
  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegistryError';
    this.status = status;
  }
}

const contentType = 'application/vnd.schemaregistry.v1+json';

/** The registry's codes for a subject, version or schema it does not hold. */
const notFoundCodes = new Set([40401, 40402, 40403]);

export interface RegistryClientOptions {
  /** Longest wait for one answer, in ms. */
  readonly timeoutMs?: number;
}

export function createRegistryClient(baseUrl: string, options: RegistryClientOptions = {}): RegistryClient {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000; // ten seconds
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { accept: contentType, ...(body === undefined ? {} : { 'content-type': contentType }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code ?? (error as Error).name;
      throw new RegistryError(`registry ${method} ${path}: no answer (${String(code)})`, 0, { cause: error });
    }
    try {
      return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
    } catch {
      // A proxy's or a failing registry's HTML error page: the status says enough.
      return { status: response.status, json: { message: `non-JSON answer of ${text.length} bytes` } };
    }
  };
  const fail = (what: string, status: number, json: unknown): never => {
    const message = (json as { message?: string } | undefined)?.message ?? JSON.stringify(json);
    throw new RegistryError(`registry ${what}: HTTP ${status}: ${message}`, status);
  };
  const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;
  // A registry says what it does not hold with an error code: a 404 without one is a wrong URL
  // (a path outside the API, a proxy), which must not read as "no versions yet, anything goes".
  const missing = (status: number, json: unknown) => status === 404 && notFoundCodes.has((json as { error_code?: unknown } | undefined)?.error_code as number);

  return {
    url: base,
    async versions(subject) {
      const { status, json } = await call('GET', `${subjectPath(subject)}/versions`);
      if (missing(status, json)) return [];
      if (status !== 200) return fail(`versions of ${subject}`, status, json);
      return json as number[];
    },
    async version(subject, version) {
      const { status, json } = await call('GET', `${subjectPath(subject)}/versions/${version}`);
      if (status !== 200) return fail(`${subject} version ${version}`, status, json);
      return json as RegisteredVersion;
    },
    async lookup(subject, schema) {
      const { status, json } = await call('POST', subjectPath(subject), { schema });
      if (missing(status, json)) return undefined;
      if (status !== 200) return fail(`lookup in ${subject}`, status, json);
      return json as RegisteredVersion;
    },
    async compatibleWithRegistered(subject, schema) {
      // Not `/versions/latest`: against the latest version alone, a Confluent registry lets a
      // schema pass that an earlier version's data could not be read with under BACKWARD_TRANSITIVE.
      const { status, json } = await call('POST', `/compatibility${subjectPath(subject)}/versions`, { schema });
      if (missing(status, json)) return true; // no version yet: anything is compatible
      if (status !== 200) return fail(`compatibility of ${subject}`, status, json);
      return (json as { is_compatible: boolean }).is_compatible;
    },
    async register(subject, schema) {
      const { status, json } = await call('POST', `${subjectPath(subject)}/versions`, { schema });
      if (status !== 200) return fail(`register ${subject}`, status, json);
      return (json as { id: number }).id;
    },
    async compatibilityLevel(subject) {
      // Apicurio answers NONE for a subject without its own rule, where the global rule applies.
      const own = await call('GET', `/config/${encodeURIComponent(subject)}`);
      const level = (own.json as { compatibilityLevel?: string } | undefined)?.compatibilityLevel;
      if (own.status === 200 && level && level !== 'NONE') return level;
      const global = await call('GET', '/config');
      if (global.status !== 200) return fail('global compatibility', global.status, global.json);
      return (global.json as { compatibilityLevel: string }).compatibilityLevel;
    },
    async setCompatibilityLevel(subject, level) {
      const { status, json } = await call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
      if (status !== 200) fail(`setting compatibility ${level} on ${subject}`, status, json);
    },
    async schemaById(id) {
      const { status, json } = await call('GET', `/schemas/ids/${id}`);
      if (status !== 200) return fail(`schema id ${id}`, status, json);
      return (json as { schema: string }).schema;
    },
    async ping() {
      const { status } = await call('GET', '/subjects');
      return status === 200;
    },
  };
}

/**
 * The few Confluent-compatible registry calls the schema tools need, over fetch. Kept apart from
 * @kafkajs/confluent-schema-registry because that client hides the compatibility endpoint and
 * the 404/409 bodies an operator needs to see.
 */
export interface RegisteredVersion {
  version: number;
  id: number;
  schema: string;
}

export interface RegistryClient {
  versions(subject: string): Promise<number[]>;
  version(subject: string, version: number): Promise<RegisteredVersion>;
  /** The registered version equal to this schema, if any. */
  lookup(subject: string, schema: string): Promise<RegisteredVersion | undefined>;
  compatibleWithLatest(subject: string, schema: string): Promise<boolean>;
  register(subject: string, schema: string): Promise<number>;
  compatibilityLevel(subject: string): Promise<string>;
}

export class RegistryError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'RegistryError';
    this.status = status;
  }
}

const contentType = 'application/vnd.schemaregistry.v1+json';

export function createRegistryClient(baseUrl: string): RegistryClient {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { accept: contentType, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const fail = (what: string, status: number, json: unknown): never => {
    const message = (json as { message?: string } | undefined)?.message ?? JSON.stringify(json);
    throw new RegistryError(`registry ${what}: HTTP ${status}: ${message}`, status);
  };
  const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;

  return {
    async versions(subject) {
      const { status, json } = await call('GET', `${subjectPath(subject)}/versions`);
      if (status === 404) return [];
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
      if (status === 404) return undefined;
      if (status !== 200) return fail(`lookup in ${subject}`, status, json);
      return json as RegisteredVersion;
    },
    async compatibleWithLatest(subject, schema) {
      const { status, json } = await call('POST', `/compatibility${subjectPath(subject)}/versions/latest`, { schema });
      if (status === 404) return true; // no version yet: anything is compatible
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
  };
}

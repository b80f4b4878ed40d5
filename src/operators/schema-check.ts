import avro from 'avsc';
import type { RegistryClient } from '../schemas/index.ts';

export interface LocalSchema {
  subject: string;
  /** The schema as JSON text, as it would be registered. */
  schema: string;
  /** Where it came from, for the report (e.g. schemas/biometric-event.avsc). */
  file?: string;
}

export type CheckStatus = 'registered' | 'compatible' | 'new-subject' | 'incompatible';

export interface SchemaCheck {
  subject: string;
  status: CheckStatus;
  /** The registered version when status is `registered`; the latest one otherwise. */
  version?: number;
  level?: string;
  /** Why it is incompatible, one line per broken rule and version. */
  problems: string[];
}

/**
 * Explains an incompatibility the registry reported, by resolving the schemas with avsc the way
 * a consumer would: BACKWARD = the new schema reads data written with the old one, FORWARD = the
 * old reads the new, FULL = both; *_TRANSITIVE = against every version, else the latest only.
 */
export function explainIncompatibility(
  candidate: string,
  registered: ReadonlyArray<{ version: number; schema: string }>,
  level: string,
): string[] {
  const transitive = level.endsWith('_TRANSITIVE');
  const base = level.replace('_TRANSITIVE', '');
  const against = transitive ? registered : registered.slice(-1);
  const next = avro.Type.forSchema(JSON.parse(candidate) as avro.Schema);
  const problems: string[] = [];
  for (const old of against) {
    const previous = avro.Type.forSchema(JSON.parse(old.schema) as avro.Schema);
    if (base === 'BACKWARD' || base === 'FULL') {
      const why = resolveError(next, previous);
      if (why) problems.push(`${level}: the new schema cannot read data written with version ${old.version}: ${why}`);
    }
    if (base === 'FORWARD' || base === 'FULL') {
      const why = resolveError(previous, next);
      if (why) problems.push(`${level}: version ${old.version} cannot read data written with the new schema: ${why}`);
    }
  }
  return problems;
}

function resolveError(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function checkSchema(client: RegistryClient, local: LocalSchema): Promise<SchemaCheck> {
  const versions = await client.versions(local.subject);
  if (versions.length === 0) return { subject: local.subject, status: 'new-subject', problems: [] };
  const same = await client.lookup(local.subject, local.schema);
  if (same) return { subject: local.subject, status: 'registered', version: same.version, problems: [] };

  const level = await client.compatibilityLevel(local.subject);
  const latest = Math.max(...versions);
  if (await client.compatibleWithRegistered(local.subject, local.schema)) {
    return { subject: local.subject, status: 'compatible', version: latest, level, problems: [] };
  }
  const registered = await Promise.all(versions.sort((a, b) => a - b).map((v) => client.version(local.subject, v)));
  const problems = explainIncompatibility(local.schema, registered, level);
  return {
    subject: local.subject,
    status: 'incompatible',
    version: latest,
    level,
    problems: problems.length > 0 ? problems : [`${level}: the registry refuses it against version ${latest}`],
  };
}

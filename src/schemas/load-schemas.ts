import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';

/** Where the .avsc files live: `schemas/` at the project root. */
export const schemaDir = fileURLToPath(new URL('../../schemas/', import.meta.url));

export const schemaFiles = {
  BiometricEvent: 'biometric-event.avsc',
  Trigger: 'trigger.avsc',
  EnrichedBiometricEvent: 'enriched-biometric-event.avsc',
} as const;
export type SchemaName = keyof typeof schemaFiles;

/** Avro schema JSON as it appears in an .avsc file. */
export type AvroSchemaJson = Record<string, unknown>;

export interface LoadedSchema {
  readonly name: SchemaName;
  /** Namespace-qualified record name, e.g. `io.biometricbridge.BiometricEvent`. */
  readonly fullName: string;
  /**
   * Self-contained schema: records that the .avsc file names by reference are inlined at their
   * first use, because the registry stores each subject as one standalone document.
   */
  readonly json: AvroSchemaJson;
  /** Parsed once; use it for validation and local encoding, never re-parse per record. */
  readonly type: avro.Type;
}

export type BridgeSchemas = Readonly<Record<SchemaName, LoadedSchema>>;

function fullNameOf(json: AvroSchemaJson): string {
  const name = String(json['name']);
  const namespace = json['namespace'];
  return name.includes('.') || typeof namespace !== 'string' ? name : `${namespace}.${name}`;
}

/** Replaces references to `known` records with their definitions, each at its first use only. */
function inline(node: unknown, known: ReadonlyMap<string, AvroSchemaJson>, defined: Set<string>): unknown {
  if (typeof node === 'string') {
    const definition = known.get(node);
    if (definition === undefined || defined.has(node)) return node;
    defined.add(node);
    return inline(definition, known, defined);
  }
  if (Array.isArray(node)) return node.map((item) => inline(item, known, defined));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      // Only positions that hold a type can hold a reference; names, docs and defaults cannot.
      out[key] = key === 'type' || key === 'items' || key === 'values' || key === 'fields' ? inline(value, known, defined) : value;
    }
    if (out['type'] === 'record' && typeof out['name'] === 'string') defined.add(fullNameOf(out));
    return out;
  }
  return node;
}

function readSchema(dir: string, file: string): AvroSchemaJson {
  const text = readFileSync(`${dir}${file}`, 'utf8');
  try {
    return JSON.parse(text) as AvroSchemaJson;
  } catch (error) {
    throw new Error(`schemas/${file} is not valid JSON`, { cause: error });
  }
}

/**
 * Reads and parses the three schemas. Dependencies come first so that EnrichedBiometricEvent
 * can name BiometricEvent and Trigger instead of copying them.
 */
export function loadSchemas(dir: string = schemaDir): BridgeSchemas {
  const known = new Map<string, AvroSchemaJson>();
  const load = (name: SchemaName): LoadedSchema => {
    const raw = readSchema(dir, schemaFiles[name]);
    const fullName = fullNameOf(raw);
    const json = inline(raw, known, new Set([fullName])) as AvroSchemaJson;
    const type = avro.Type.forSchema(json as avro.Schema);
    known.set(fullName, raw);
    return Object.freeze({ name, fullName, json, type });
  };
  const BiometricEvent = load('BiometricEvent');
  const Trigger = load('Trigger');
  const EnrichedBiometricEvent = load('EnrichedBiometricEvent');
  return Object.freeze({ BiometricEvent, Trigger, EnrichedBiometricEvent });
}

let cached: BridgeSchemas | undefined;

/** The project's schemas, read from disk once per process. */
export function bridgeSchemas(): BridgeSchemas {
  cached ??= loadSchemas();
  return cached;
}

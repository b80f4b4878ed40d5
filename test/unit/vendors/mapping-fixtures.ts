import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import type { BiometricEvent } from '../../../src/events/index.ts';
import type { MappingContext, MappingResult, VendorMapping } from '../../../src/normalize/vendor-mapping.ts';
import { RecordError } from '../../../src/streams/errors.ts';
import { bridgeSchemas } from '../../../src/schemas/index.ts';

export const context: MappingContext = { receivedAt: Date.parse('2025-01-15T12:00:00Z') };

/** A captured payload from `src/vendors/<vendor>/fixtures/`. */
export function fixture(vendor: string, name: string): Buffer {
  return readFileSync(new URL(`../../../src/vendors/${vendor}/fixtures/${name}`, import.meta.url));
}

/** Maps and checks that every event is a valid Avro BiometricEvent. */
export function mapValid(mapping: VendorMapping, body: Buffer): MappingResult {
  const result = mapping.map(body, context);
  const type = bridgeSchemas().BiometricEvent.type;
  for (const event of result.events) {
    const invalid: string[] = [];
    type.isValid(event, { errorHook: (path) => invalid.push(path.join('.')) });
    assert.equal(invalid, [], `expected a valid BiometricEvent from ${mapping.vendor}, invalid at ${invalid.join(', ')}`);
    assert.is(event.receivedAt, context.receivedAt, 'expected receivedAt from the mapping context');
  }
  return result;
}

export function mapOne(mapping: VendorMapping, body: Buffer): BiometricEvent {
  const { events } = mapValid(mapping, body);
  assert.is(events.length, 1, `expected exactly one ${mapping.vendor} event`);
  return events[0]!;
}

/** The RecordError a mapping throws; fails when it maps instead. */
export function mapError(mapping: VendorMapping, body: Buffer | null): RecordError {
  try {
    mapping.map(body, context);
  } catch (error) {
    assert.instance(error, RecordError, `expected a RecordError from ${mapping.vendor}, got ${String(error)}`);
    return error as RecordError;
  }
  assert.unreachable(`expected ${mapping.vendor} to refuse the payload`);
  throw new Error('unreachable');
}

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export function reading(event: BiometricEvent, metric: string): number | undefined {
  return event.readings.find((r) => r.metric === metric)?.value;
}

import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import type { BiometricEvent } from '../../../src/events/index.ts';
import type { MappingContext, MappingResult } from '../../../src/vendors/kit/vendor-mapping.ts';
import type { VendorPlugin } from '../../../src/vendors/kit/plugin.ts';
import { mapPayload } from '../../../src/vendors/normalize-record.ts';
import { RecordError } from '../../../src/streams/errors.ts';
import { bridgeSchemas } from '../../../src/schemas/index.ts';

export const context: MappingContext = { receivedAt: Date.parse('2025-01-15T12:00:00Z') };

/** A captured payload from `test/fixtures/vendors/<vendor>/`. */
export function fixture(vendor: string, name: string): Buffer {
  return readFileSync(new URL(`../../fixtures/vendors/${vendor}/${name}`, import.meta.url));
}

/** The mapping as normalize runs it: the body decoded by the vendor's format, then mapped. */
function map(vendor: VendorPlugin, body: Buffer | null, contentType?: string): MappingResult {
  return mapPayload(vendor, body, contentType, context);
}

/** Maps and checks that every event is a valid Avro BiometricEvent. */
export function mapValid(mapping: VendorPlugin, body: Buffer, contentType?: string): MappingResult {
  const result = map(mapping, body, contentType);
  const type = bridgeSchemas().BiometricEvent.type;
  for (const event of result.events) {
    const invalid: string[] = [];
    type.isValid(event, { errorHook: (path) => invalid.push(path.join('.')) });
    assert.equal(invalid, [], `expected a valid BiometricEvent from ${mapping.id}, invalid at ${invalid.join(', ')}`);
    assert.is(event.receivedAt, context.receivedAt, 'expected receivedAt from the mapping context');
  }
  return result;
}

export function mapOne(mapping: VendorPlugin, body: Buffer, contentType?: string): BiometricEvent {
  const { events } = mapValid(mapping, body, contentType);
  assert.is(events.length, 1, `expected exactly one ${mapping.id} event`);
  return events[0]!;
}

/** The RecordError a mapping throws; fails when it maps instead. */
export function mapError(mapping: VendorPlugin, body: Buffer | null, contentType?: string): RecordError {
  try {
    map(mapping, body, contentType);
  } catch (error) {
    assert.instance(error, RecordError, `expected a RecordError from ${mapping.id}, got ${String(error)}`);
    return error as RecordError;
  }
  assert.unreachable(`expected ${mapping.id} to refuse the payload`);
  throw new Error('unreachable');
}

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export function reading(event: BiometricEvent, metric: string): number | undefined {
  return event.readings.find((r) => r.metric === metric)?.value;
}

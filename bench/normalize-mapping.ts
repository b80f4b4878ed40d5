// Hot-path cost of normalize without Kafka: vendor mapping + Avro encoding of the events.
// Run: node bench/normalize-mapping.ts [records]
import { readFileSync } from 'node:fs';
import { bridgeSchemas } from '../src/schemas/index.ts';
import { normalizeVerified } from '../src/vendors/normalize-record.ts';
import { countArgument } from './support/options.ts';

const records = countArgument('records', 200_000);
const type = bridgeSchemas().BiometricEvent.type;
const inputs = [
  { key: 'terra:u', topic: 'verified.terra', value: readFileSync('test/fixtures/vendors/terra/sleep.json') },
  { key: 'garmin:u', topic: 'verified.garmin', value: readFileSync('test/fixtures/vendors/garmin/hrv-push.json') },
  { key: 'oura:u', topic: 'verified.oura', value: readFileSync('test/fixtures/vendors/oura/seed-inline.json') },
].map((r) => ({ ...r, headers: { 'received-at': '1736942400000' }, timestamp: 1_736_942_400_000 }));

let events = 0;
let bytes = 0;
const started = process.hrtime.bigint();
for (let i = 0; i < records; i++) {
  for (const event of normalizeVerified(inputs[i % inputs.length]!).events) {
    bytes += type.toBuffer(event).length;
    events++;
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`${records} records → ${events} events in ${seconds.toFixed(2)} s: ${Math.round(events / seconds)} events/s on one core, avg ${Math.round(bytes / events)} Avro bytes, RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);

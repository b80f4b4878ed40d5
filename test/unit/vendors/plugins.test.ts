import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type avro from 'avsc';
import { z } from 'zod';
import { envSchema, loadConfig, mergeEnvFragments } from '../../../src/config/index.ts';
import { bridgeSchemas } from '../../../src/schemas/index.ts';
import { allTopics, rawTopic, topics, verifiedTopic } from '../../../src/topics.ts';
import { formatFor } from '../../../src/vendors/kit/body.ts';
import { plugins, vendorById, vendorIds, vendorOfTopic, vendors } from '../../../src/vendors/index.ts';
import { unsignedFromAnywhere, verifySettings } from '../../../src/verify/index.ts';

/** The Avro `Source` enum of BiometricEvent, as the registry will hold it. */
function sourceSymbols(): readonly string[] {
  const record = bridgeSchemas().BiometricEvent.type as avro.types.RecordType;
  const field = record.fields.find((f) => f.name === 'source');
  return (field?.type as avro.types.EnumType | undefined)?.symbols ?? [];
}

test('every plugin maps to a symbol of the Avro Source enum (a new vendor needs one appended)', () => {
  const symbols = sourceSymbols();
  const missing = plugins.filter((plugin) => !symbols.includes(plugin.mapping.source)).map((plugin) => `${plugin.id} → ${plugin.mapping.source}`);
  assert.equal(missing, [], `expected every plugin's source among ${symbols.join(', ')}`);
  const sources = plugins.map((plugin) => plugin.mapping.source);
  assert.is(new Set(sources).size, sources.length, 'expected no two vendors to write the same source');
});

test('the list names each vendor once, and the ids, lookups and topics derive from it', () => {
  assert.equal([...vendorIds], plugins.map((p) => p.id), 'expected vendorIds in list order');
  assert.is(new Set(vendorIds).size, vendorIds.length, 'expected unique ids');
  for (const id of vendorIds) {
    assert.is(vendorById(id)?.id, id, `${id}: vendorById`);
    assert.is(vendors[id].rawTopic, rawTopic(id), `${id}: raw topic`);
    assert.ok(allTopics().includes(rawTopic(id)) && allTopics().includes(verifiedTopic(id)), `${id}: raw and verified topics are created`);
  }
  assert.is(vendorById('fitbit'), undefined, 'expected an unknown vendor to be undefined');
  assert.is(vendorById('toString'), undefined, 'expected an inherited property name to be no vendor');
  assert.is(topics.terraEvents, vendors.terra.destination?.topic, "expected Terra's destination topic from its plugin");
});

test('which vendor reads a topic has one answer, for raw, verified and a test\'s own names', () => {
  assert.is(vendorOfTopic('raw.google-health', rawTopic)?.id, 'google-health', 'raw topic');
  assert.is(vendorOfTopic('verified.withings', verifiedTopic)?.id, 'withings', 'verified topic');
  assert.is(vendorOfTopic('verified.withings', rawTopic), undefined, 'a verified topic is not a raw one');
  const isolated = (vendor: string) => `t-123-raw-${vendor}`;
  assert.is(vendorOfTopic('t-123-raw-oura', isolated)?.id, 'oura', 'isolated names');
  assert.is(vendorOfTopic('raw.nobody', rawTopic), undefined, 'unknown topic');
});

test("every plugin's variables are in the config schema, and verify reads them through the plugin", () => {
  for (const plugin of plugins) {
    const missing = Object.keys(plugin.env).filter((name) => !Object.hasOwn(envSchema.shape, name));
    assert.equal(missing, [], `${plugin.id}: variables missing from envSchema`);
  }
  const config = loadConfig({
    OURA_WEBHOOK_SECRETS: 'new,old',
    OURA_TIMESTAMP_TOLERANCE_SECONDS: '60',
    GARMIN_CLIENT_ID: 'consumer-key',
    WITHINGS_SOURCE_NETWORKS: '10.0.0.0/8',
  });
  const settings = verifySettings(config);
  assert.equal(settings.oura.secrets, ['new', 'old'], 'oura secrets from OURA_WEBHOOK_SECRETS');
  assert.is(settings.oura.toleranceMs, 60_000, 'oura tolerance from OURA_TIMESTAMP_TOLERANCE_SECONDS');
  assert.is(settings.whoop.toleranceMs, 7_200_000, 'whoop tolerance defaults to two hours');
  assert.equal(settings.garmin.secrets, ['consumer-key'], "garmin's secret is GARMIN_CLIENT_ID");
  assert.ok(settings.withings.sourceNetworks?.check('10.1.2.3', 'ipv4'), 'withings networks from WITHINGS_SOURCE_NETWORKS');
  assert.is(settings.garmin.sourceNetworks, undefined, 'no garmin networks configured: not checked');
  assert.equal(unsignedFromAnywhere(settings), ['garmin'], 'garmin, configured without networks, is named at start; withings has its networks');
  assert.equal(unsignedFromAnywhere(verifySettings(loadConfig({}))), [], 'a vendor not configured is not named');
});

test('a variable declared twice, by two plugins or by a plugin and the pipeline, is refused', () => {
  const text = z.string();
  assert.equal(Object.keys(mergeEnvFragments({ A: text }, [{ id: 'x', env: { X_SECRETS: text } }, { id: 'y', env: { Y_SECRETS: text } }])), ['X_SECRETS', 'Y_SECRETS'], 'distinct names merge');
  assert.throws(() => mergeEnvFragments({}, [{ id: 'x', env: { SHARED: text } }, { id: 'y', env: { SHARED: text } }]), /SHARED \(vendor y\) is declared twice/, 'two plugins');
  assert.throws(() => mergeEnvFragments({ KAFKA_BROKERS: text }, [{ id: 'x', env: { KAFKA_BROKERS: text } }]), /KAFKA_BROKERS/, 'plugin and pipeline');
});

test('plugins are consistent: handshakes have answers, redacted headers are never copied verbatim, fixtures exist', () => {
  for (const plugin of plugins) {
    if (plugin.handshakes.includes('oura-challenge')) assert.type(plugin.answerGet, 'function', `${plugin.id}: GET handshake`);
    if (plugin.handshakes.includes('polar-ping') || plugin.handshakes.includes('google-health-verification')) {
      assert.type(plugin.answerPost, 'function', `${plugin.id}: POST handshake`);
    }
    for (const redaction of plugin.redactedHeaders) {
      assert.not.ok(plugin.forwardedHeaders.includes(redaction.header), `${plugin.id}: ${redaction.header} is redacted, not forwarded`);
      assert.not.ok(plugin.forwardedHeaders.includes(redaction.as), `${plugin.id}: ${redaction.as} comes from ingress, never from the request`);
    }
    assert.ok(Object.keys(plugin.bodyFormats).length > 0, `${plugin.id}: accepts some content type`);
    assert.ok(existsSync(new URL(`../../fixtures/vendors/${plugin.id}/signed-request.json`, import.meta.url)), `${plugin.id}: has a captured signed request`);
  }
});

test('a body is decoded by the format its declared content type names, else the vendor\'s usual one', () => {
  assert.is(formatFor(vendors.withings.bodyFormats, 'application/x-www-form-urlencoded'), 'form', 'withings form');
  assert.is(formatFor(vendors.withings.bodyFormats, 'application/json; charset=utf-8'), 'json', 'withings declared JSON');
  assert.is(formatFor(vendors.withings.bodyFormats, undefined), 'form', 'withings without a content type');
  assert.is(formatFor(vendors.terra.bodyFormats, undefined), 'json', 'terra without a content type');
});

test.run();

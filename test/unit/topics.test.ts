import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allTopics, dlqTopic, hydratedTopic, priorityTopic, rawTopic, valueSubject, verifiedTopic } from '../../src/topics.ts';

test('names follow docs/design.md §2', () => {
  assert.is(rawTopic('google-health'), 'raw.google-health', 'raw topic is raw.<vendor>');
  assert.is(verifiedTopic('oura'), 'verified.oura', 'verified topic is verified.<vendor>');
  assert.is(hydratedTopic('whoop'), 'hydrated.whoop', 'hydrated topic is hydrated.<vendor>');
  assert.is(priorityTopic('high'), 'neuros.priority.high', 'priority topic is neuros.priority.<p>');
  assert.is(dlqTopic('sink'), 'dlq.sink', 'dead letter topic is dlq.<stage>');
  assert.is(valueSubject('biometric.events'), 'biometric.events-value', 'subject uses the topic name strategy');
});

test('allTopics lists every topic once', () => {
  const all = allTopics();
  assert.is(new Set(all).size, all.length, 'no topic appears twice');
  // 8 raw + 8 verified + backfill requests + 6 hydrated (all but healthkit, terra) + terra + events + enriched + 3 priorities + 5 dlq + legacy
  assert.is(all.length, 36, 'expected 36 topics');
  for (const name of ['hydrate.backfill', 'hydrated.oura', 'hydrated.whoop', 'terra-biometric-events', 'biometric.events', 'biometric.enriched', 'biometric-events', 'dlq.verify', 'raw.withings']) {
    assert.ok(all.includes(name), `expected ${name} in allTopics()`);
  }
});

test.run();

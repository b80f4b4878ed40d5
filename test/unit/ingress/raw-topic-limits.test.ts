import { Writable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs, { type Admin, type DescribeConfigResponse } from 'kafkajs';
import { checkRawTopicLimits, RawTopicLimitError } from '../../../src/ingress/index.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { rawTopicMessageBytes } from '../../../src/topic-limits.ts';

// kafkajs is CommonJS and assigns its error classes in a way Node's named-export detection misses.
const { KafkaJSConnectionError, KafkaJSSASLAuthenticationError } = kafkajs;
// Its typings declare no argument, but kafkajs builds it from a message, as its SASL code does.
const authenticationFailed = () => new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)('SASL PLAIN authentication failed');

type CheckAdmin = Pick<Admin, 'connect' | 'listTopics' | 'describeConfigs'>;

/** An admin that fails `unreachableFor` connects (with `failure`), then answers with `limits` for the topics it has. */
function fakeAdmin(
  limits: Record<string, number>,
  unreachableFor = 0,
  failure: () => Error = () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19092'),
): CheckAdmin & { connects: number } {
  const admin = {
    connects: 0,
    async connect() {
      admin.connects++;
      if (admin.connects <= unreachableFor) throw failure();
    },
    listTopics: async () => Object.keys(limits),
    describeConfigs: async ({ resources }: Parameters<Admin['describeConfigs']>[0]) =>
      ({
        throttleTime: 0,
        resources: resources.map((r) => ({
          resourceName: r.name,
          resourceType: r.type,
          errorCode: 0,
          errorMessage: null,
          configEntries: [{ configName: 'max.message.bytes', configValue: String(limits[r.name]), isDefault: false, isSensitive: false, readOnly: false, configSource: 1, configSynonyms: [] }],
        })),
      }) as unknown as DescribeConfigResponse,
  };
  return admin;
}

function logLines() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info' }, stream) };
}

const test = suite('ingress start-up check of the raw topics\' record limits');
const body = 1_048_576;
const enough = rawTopicMessageBytes(body);

test('limits that hold the largest body: resolves with the smallest', async () => {
  const { log } = logLines();
  const limit = await checkRawTopicLimits(fakeAdmin({ 'raw.oura': enough + 10, 'raw.whoop': enough }), ['raw.oura', 'raw.whoop'], body, log);
  assert.is(limit, enough, 'expected the smallest raw topic limit');
});

test('a topic below what the body needs: RawTopicLimitError at once, in one line naming it', async () => {
  const { log } = logLines();
  const admin = fakeAdmin({ 'raw.oura': enough, 'raw.whoop': 1_048_588 });
  const error = await checkRawTopicLimits(admin, ['raw.oura', 'raw.whoop'], body, log).catch((e: unknown) => e);
  assert.instance(error, RawTopicLimitError, 'expected a configuration error');
  assert.is((error as Error).message, `INGRESS_MAX_BODY_BYTES=${body} needs max.message.bytes >= ${enough} on the raw topics, but raw.whoop allows 1048588: run \`bridge topics create\` or lower INGRESS_MAX_BODY_BYTES`, 'expected the one line');
  assert.is(admin.connects, 1, 'expected no retry: waiting cannot fix a configuration');
});

test('Kafka not reachable yet: waits, warning at the first attempt (the next within 30 s at debug), never fails', async () => {
  const { lines, log } = logLines();
  const admin = fakeAdmin({ 'raw.oura': enough }, 2);
  const limit = await checkRawTopicLimits(admin, ['raw.oura'], body, log);
  assert.is(limit, enough, 'expected the limit once Kafka answered');
  assert.is(admin.connects, 3, 'expected two failed attempts, then one that worked');
  assert.is(lines.filter((l) => l.level === 40).length, 1, 'expected one warning for a wait shorter than 30 s');
  assert.is(lines.filter((l) => l.level >= 50).length, 0, 'expected no error line');
});

test('a refusal no retry changes (authentication) stops the start at once', async () => {
  const { log } = logLines();
  const admin = fakeAdmin({ 'raw.oura': enough }, 5, authenticationFailed);
  const error = await checkRawTopicLimits(admin, ['raw.oura'], body, log).catch((e: unknown) => e);
  assert.instance(error, KafkaJSSASLAuthenticationError, 'expected the authentication failure itself');
  assert.is(admin.connects, 1, 'expected no retry of a refusal');
});

test('raw topics missing (topics create still running): waits for them', async () => {
  const { lines, log } = logLines();
  const limits: Record<string, number> = {};
  const admin = fakeAdmin(limits);
  setTimeout(() => (limits['raw.oura'] = enough), 200);
  const limit = await checkRawTopicLimits(admin, ['raw.oura'], body, log);
  assert.is(limit, enough, 'expected the limit once the topic exists');
  assert.ok(lines.some((l) => l.level === 40), 'expected a warning while it was missing');
});

test.run();

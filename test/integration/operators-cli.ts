import { execFile } from 'node:child_process';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bridge …` as an operator would, in a child process, and collects its output. */
export function bridge(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/bridge.js', ...args],
      { env: { ...process.env, FORCE_COLOR: '0' }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Reads a topic from the beginning until `count` records arrived, or fails at the deadline. */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 30_000): Promise<Array<KafkaMessage & { partition: number }>> {
  const consumer = kafka.consumer({ groupId: `test.read.${randomUUID()}`, maxWaitTimeInMs: 100 });
  const seen: Array<KafkaMessage & { partition: number }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({ ...message, partition });
        if (seen.length >= count) done();
      },
    });
    if (count === 0) return seen;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`expected ${count} records on ${topic}, got ${seen.length} in ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([reached, deadline]).finally(() => clearTimeout(timer));
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

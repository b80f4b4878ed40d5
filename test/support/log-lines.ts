import { Writable } from 'node:stream';

/** A log destination that keeps every line, so a test can assert on what was (not) logged. */
export function logLines(): { readonly lines: string[]; readonly destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, destination };
}

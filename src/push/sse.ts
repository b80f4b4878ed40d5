import type { ServerResponse } from 'node:http';
import { closeGraceMs } from './departure.ts';
import type { DropReason, Subscriber } from './hub.ts';
import type { Frame } from './record.ts';

/**
 * A Server-Sent Events client. Frames carry the cursor as `id`, so a browser's EventSource resumes
 * by itself (it sends Last-Event-ID when it reconnects).
 */
export function sseSubscriber(res: ServerResponse, userId: string, maxBufferedBytes: number): Subscriber & { keepAlive(): void } {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no', // a proxy must not hold events back
  });
  res.flushHeaders();
  // A write the response refuses is reported as its 'error', which would otherwise end the process.
  res.on('error', () => res.destroy());
  const fits = (): boolean => res.writableLength <= maxBufferedBytes;
  // The end is final: the first drop ends the response and every later write is left out, as the
  // response's 'close' (which removes the client elsewhere) waits for what is unread to drain.
  let ended = false;
  return {
    userId,
    transport: 'sse',
    send(frame: Frame) {
      if (ended) return true;
      res.write(`event: ${frame.kind}\nid: ${frame.id}\ndata: ${frame.data}\n\n`);
      return fits();
    },
    drop(reason: DropReason) {
      if (ended) return;
      ended = true;
      // A slow client would get the reason only behind everything it has not read yet.
      if (reason === 'slow-client') return void res.destroy();
      res.end(`event: dropped\ndata: ${JSON.stringify({ reason })}\n\n`);
      setTimeout(() => res.writableFinished || res.destroy(), closeGraceMs).unref();
    },
    keepAlive() {
      // A comment line: proxies see traffic on an idle stream, clients ignore it.
      if (!ended && fits()) res.write(': keep-alive\n\n');
    },
  };
}

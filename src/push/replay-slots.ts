import { bulkhead } from 'cockatiel';
import type { PriorityLog } from './hub.ts';

export interface ReplaySlotsOptions {
  /** Replays reading at once (each a short-lived consumer); more wait their turn. */
  readonly concurrent: number;
  /** Replays waiting for a turn; past this a resume fails at once. */
  readonly queueLimit: number;
  /** Longest a resume may take, its wait for a turn included, in ms. */
  readonly timeoutMs: number;
}

/**
 * `log` with its replays taking turns, so a burst of reconnects does not flood the broker with
 * consumers. Each replay ends (rejects) at its deadline or once its client has gone, also while it
 * still waits: cockatiel drops an aborted waiting task only when it reaches the front, and then
 * starts no task in its place, so the wait is raced here and the signal is not handed to
 * cockatiel; a task whose turn comes after its end returns at once and frees the turn.
 */
export function withReplaySlots(log: PriorityLog, options: ReplaySlotsOptions): PriorityLog {
  const slots = bulkhead(options.concurrent, options.queueLimit);
  return {
    latest: (userId) => log.latest(userId),
    replay(userId, from, deliver, signal) {
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
      const turn = slots.execute(async () => {
        deadline.throwIfAborted();
        await log.replay(userId, from, deliver, deadline);
      });
      return settledOrAborted(turn, deadline);
    },
  };
}

/** `work`, or the signal's reason as soon as it aborts; `work` is left to finish by itself. */
function settledOrAborted(work: Promise<void>, signal: AbortSignal): Promise<void> {
  work.catch(() => undefined); // once aborted, nobody waits for its end
  return new Promise<void>((resolve, reject) => {
    const abort = (): void => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** Thrown by a check when waiting longer cannot help (e.g. the process it waits for exited): `waitUntil` fails at once. */
export class StopWaiting extends Error {
  override readonly name = 'StopWaiting';
}

/**
 * Polls `check` until it returns a value other than undefined/false, or fails once `timeoutMs`
 * has passed with the last observation in the message. Any other error of `check` counts as a
 * failed attempt, except `StopWaiting`, which ends the wait.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      if (error instanceof StopWaiting) throw new Error(`gave up waiting for ${what}: ${error.message}`, { cause: error });
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : String(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

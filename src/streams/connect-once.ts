/**
 * `connect` shared by every caller while it is pending or done. A failed attempt is forgotten, so
 * the next caller tries again: a broker away at the first call must not fail every later one.
 */
export function connectOnce(connect: () => Promise<void>): () => Promise<void> {
  let connecting: Promise<void> | undefined;
  return () =>
    (connecting ??= connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    }));
}

import { ConnectionsUnreadableError } from '../connections/replica.ts';
import { DependencyUnavailableError } from '../streams/index.ts';

/**
 * A connections replica's answer as a stage uses it: at once when the replica holds the row, else
 * after its confirming read, which pauses the partition (DependencyUnavailableError, retried in
 * 1 s) while Postgres does not answer instead of deciding on a table it could not read.
 */
export function pausingWhenUnreadable<T>(answer: T | Promise<T>): T | Promise<T> {
  if (!(answer instanceof Promise)) return answer;
  return answer.catch((error: unknown) => {
    throw error instanceof ConnectionsUnreadableError ? new DependencyUnavailableError('postgres', 1_000, { cause: error }) : error;
  });
}

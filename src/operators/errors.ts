/**
 * Exit codes of the operator commands (sysexits-style), so scripts can tell a refusal from a
 * crash without parsing text. Documented in docs/operations.md.
 */
export const exitCodes = {
  /** Bad arguments: end before start, malformed offsets or dates. */
  usage: 64,
  /** The data itself is refused: an incompatible schema. */
  incompatible: 65,
  /** A topic or group named on the command line does not exist. */
  notFound: 66,
  /** Refused for now, try again later: the consumer group still has active members. */
  busy: 75,
  /** The configuration lacks what the command needs (a vendor app's credentials). */
  config: 78,
} as const;

/** A refusal the operator can act on: printed as its message alone, with its exit code. */
export class OperatorError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'OperatorError';
    this.exitCode = exitCode;
  }
}

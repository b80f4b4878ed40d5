export type Say = (line: string) => void;

/** One process of the native stack. */
export interface StackService {
  readonly name: string;
  readonly endpoint: string;
  readonly logFile: string;
  /** Downloads or installs what the service needs; cached after the first run. */
  install(say: Say): Promise<void>;
  /** Starts the process when it is not running; returns without waiting for readiness. */
  start(say: Say): Promise<void>;
  /** True once the service answers a real request. */
  ready(): Promise<boolean>;
  /**
   * Brings settings kept in the service's data up to date once it answers, so a stack made by
   * an older version gets them too. Runs at every `up`; does nothing when they already hold.
   */
  settle?(say: Say): Promise<void>;
  /** How long start-up may take before `up` gives up, in ms. */
  readonly startTimeoutMs: number;
  pid(): number | undefined;
  stop(): Promise<boolean>;
}

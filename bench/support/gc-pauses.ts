import { PerformanceObserver } from 'node:perf_hooks';

/**
 * The milliseconds this process's main thread spent paused for garbage collection since
 * `start()`. In bench:state's stage part the slow rounds of a scenario were the ones with the
 * longest pauses (more of V8's full collections), so the report shows them beside the CPU.
 */
export class GcPauses {
  #ms = 0;
  #counting = false;
  readonly #observer = new PerformanceObserver((list) => {
    if (!this.#counting) return;
    for (const entry of list.getEntries()) this.#ms += entry.duration;
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  start(): void {
    this.#ms = 0;
    this.#counting = true;
  }

  /** Pauses since `start()`, in ms; stops observing. */
  stop(): number {
    this.#counting = false;
    this.#observer.disconnect();
    return this.#ms;
  }
}

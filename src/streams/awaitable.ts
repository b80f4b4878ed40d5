import type { Awaitable } from './record.ts';

/*
 * The runtime stays synchronous for a record while its serdes, steps and stores answer
 * synchronously: a promise per hop was most of what it cost a pass-through record. These two
 * carry a value or a promise on without making a promise of a value.
 */

/** `next(value)` now when `value` is not a promise, else once it settles. */
export function andThen<T, R>(value: Awaitable<T>, next: (settled: T) => R): R | Promise<Awaited<R>> {
  return value instanceof Promise ? (value.then(next) as Promise<Awaited<R>>) : next(value);
}

/**
 * `run` on each item in order, each after the one before it settled; synchronous while every call
 * is. An array is walked by index: the runtime calls this at every hop of every record (a
 * source's nodes, a node's successors), and an iterator with a result object per item was an
 * eighth of what an enrich record allocated.
 */
export function eachInOrder<T>(items: Iterable<T>, run: (item: T) => Promise<void> | undefined): Promise<void> | undefined {
  if (Array.isArray(items)) return continueFrom(items as readonly T[], 0, run);
  return continueInOrder(items[Symbol.iterator](), run);
}

function continueFrom<T>(items: readonly T[], from: number, run: (item: T) => Promise<void> | undefined): Promise<void> | undefined {
  for (let i = from; i < items.length; i += 1) {
    const pending = run(items[i]!);
    if (pending) return pending.then(() => continueFrom(items, i + 1, run));
  }
  return undefined;
}

function continueInOrder<T>(items: Iterator<T>, run: (item: T) => Promise<void> | undefined): Promise<void> | undefined {
  for (let next = items.next(); !next.done; next = items.next()) {
    const pending = run(next.value);
    if (pending) return pending.then(() => continueInOrder(items, run));
  }
  return undefined;
}

/**
 * `promise`, or what `onTimeout` answers (or throws) if it has not settled within `ms`; the
 * timer is cleared either way, so a settled race keeps no timer (and no process) alive.
 */
export function raceTimeout<T, F>(promise: Promise<T>, ms: number, onTimeout: () => F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<F>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

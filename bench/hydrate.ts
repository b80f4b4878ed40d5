// `npm run bench:hydrate [-- SECONDS]`: how fast the hydrate path fetches through the vendor API
// simulator answering every request in 100 ms, with the rate limits off (target: ≥ 1,000 fetches/s
// from one process at bounded memory); then how far the shared Redis rate limit lets two
// hydrate processes overshoot one budget (target: ≤ 1 %). SECONDS (default 30) is the length of
// the throughput run; the overshoot run lasts three windows of a third of it (at least 1 s each).
//
// The throughput run drives hydrateNotification (what the stage's `fetch-documents` step runs)
// with many notifications in flight and each user's in order, as the stage does once it runs with
// several records in flight per partition; Kafka is measured by bench:streams.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/index.ts';
import { hydrateNotification, type Hydration } from '../src/hydrate/hydrate-notification.ts';
import { redisRateLimits, unlimited, type RateLimits } from '../src/hydrate/rate-limits.ts';
import { DependencyUnavailableError } from '../src/streams/errors.ts';
import { MemoryTokenSource } from '../test/support/memory-token-source.ts';
import { startVendorApiSim } from '../test/support/vendor-sim/api-server.ts';
import { documented, serveDocumented } from '../test/support/vendor-sim/documented-resources.ts';
import { simHydration } from '../test/support/vendor-sim/sim-hydration.ts';
import { countArgument, countEnv } from './support/options.ts';

const users = 2_000;
const inFlight = countEnv('BENCH_IN_FLIGHT', 200); // notifications in flight at once
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function hydrationAgainst(baseUrl: (vendor: string) => string, limits: RateLimits): Hydration {
  const tokens = new MemoryTokenSource();
  for (let i = 0; i < users; i += 1) tokens.connect('whoop', String(i), 'bench-token');
  return simHydration(baseUrl, tokens, { limits, http: { initialDelayMs: 200, maxDelayMs: 2_000 } });
}

const notification = (user: number) => Buffer.from(JSON.stringify({ ...documented.whoopNotification, type: 'sleep.updated', user_id: user }));

/** `inFlight` lanes; user u always goes through lane u % inFlight, so one user's notifications stay in order. */
async function drive(hydration: Hydration, until: number, onPause: (error: DependencyUnavailableError) => Promise<void>): Promise<number> {
  let hydrated = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      for (let user = lane; Date.now() < until; user = (user + inFlight) % users) {
        try {
          const results = await hydrateNotification(hydration, 'whoop', notification(user));
          hydrated += results.length; // after the await: `x += await …` would read x before it
        } catch (error) {
          if (!(error instanceof DependencyUnavailableError)) throw error;
          await onPause(error);
        }
      }
    }),
  );
  return hydrated;
}

async function limiterWorker(simUrl: string, keyPrefix: string, requests: number, windowSeconds: number, startAt: number): Promise<void> {
  const until = startAt + 3 * windowSeconds * 1000;
  const redis = new Redis(loadConfig().REDIS_URL);
  const limit = { requests, windowSeconds };
  const windowEnds: number[] = [];
  const limits = redisRateLimits(redis, { whoop: { app: limit, user: { requests: 1_000_000, windowSeconds } } }, { keyPrefix, onAdmitted: (_, endsAt) => void windowEnds.push(endsAt) });
  const hydration = hydrationAgainst((vendor) => `${simUrl}/${vendor}`, limits);
  await sleep(startAt - Date.now()); // both processes start together, whatever their start-up took
  // Pauses as the stage does: the whole lane waits for the window to free a request.
  const hydrated = await drive(hydration, until, (error) => sleep(error.retryAfterMs));
  process.send?.({ hydrated, windowEnds });
  redis.disconnect();
}

async function throughput(seconds: number): Promise<void> {
  let answered = 0;
  const sim = await startVendorApiSim({ latencyMs: 100, logRequests: false, onAnswer: () => void (answered += 1) });
  serveDocumented(sim);
  sim.grant('bench-token');
  const hydration = hydrationAgainst(sim.baseUrl, unlimited);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  const startedAt = Date.now();
  const hydrated = await drive(hydration, startedAt + seconds * 1000, () => Promise.reject(new Error('no pause expected with the limits off')));
  const elapsed = (Date.now() - startedAt) / 1000;
  clearInterval(sampler);
  await sim.close();
  const rate = answered / elapsed;
  console.log(`throughput: ${hydrated} notifications, ${answered} fetches in ${elapsed.toFixed(1)} s = ${rate.toFixed(0)} fetches/s (${inFlight} in flight, vendor answers in 100 ms)`);
  console.log(`memory: peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
  console.log(`target ≥ 1000 fetches/s: ${rate >= 1000 ? 'met' : 'NOT met'}`);
}

async function overshoot(seconds: number): Promise<void> {
  const windowSeconds = Math.max(1, Math.round(seconds / 3));
  const requests = 200 * windowSeconds; // about a third of what two unlimited processes would send
  let answered = 0;
  const sim = await startVendorApiSim({ logRequests: false, onAnswer: ({ status }) => void (status === 200 && (answered += 1)) });
  serveDocumented(sim);
  sim.grant('bench-token');
  const keyPrefix = `bench:hydrate:rl:${process.pid}:${Date.now()}`;
  const startAt = Date.now() + 5_000; // leaves both processes time to start
  const workers = [0, 1].map(
    () =>
      new Promise<{ hydrated: number; windowEnds: number[] }>((resolve, reject) => {
        const child = fork(fileURLToPath(import.meta.url), ['--limiter-worker', sim.url, keyPrefix, String(requests), String(windowSeconds), String(startAt)], { execArgv: process.execArgv });
        child.on('message', (message: { hydrated: number; windowEnds: number[] }) => resolve(message));
        child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`limiter worker exited ${code}`))));
      }),
  );
  const perWorker = await Promise.all(workers);
  await sim.close();
  // Each admitted request names the end of the limiter window it was counted in; both processes
  // share the machine's clock, so ends within a few ms of each other are one window.
  const ends = perWorker.flatMap((w) => w.windowEnds).sort((a, b) => a - b);
  const perWindow: number[] = [];
  let windowEnd = -Infinity;
  for (const end of ends) {
    if (end - windowEnd > 100) perWindow.push(0);
    windowEnd = end;
    perWindow[perWindow.length - 1]! += 1;
  }
  const worst = Math.max(0, ...perWindow);
  const over = Math.max(0, worst - requests) / requests;
  console.log(`rate limit ${requests}/${windowSeconds} s shared by 2 processes: ${perWorker.map((w) => w.hydrated).join(' + ')} hydrated, ${answered} fetches answered; per window ${perWindow.join(', ')}`);
  console.log(`overshoot: ${(over * 100).toFixed(2)} % (target ≤ 1 %: ${over <= 0.01 ? 'met' : 'NOT met'})`);
}

if (process.argv[2] === '--limiter-worker') {
  const [simUrl, keyPrefix, requests, windowSeconds, startAt] = process.argv.slice(3) as [string, string, string, string, string];
  await limiterWorker(simUrl, keyPrefix, Number(requests), Number(windowSeconds), Number(startAt));
} else {
  const seconds = countArgument('seconds', 30);
  await throughput(seconds);
  await overshoot(seconds);
}

// `npm run bench:baseline`: the baseline rule's choice of a median of daily means over an
// exponentially weighted moving average (EWMA), measured (docs/design.md §5).
// 1. Decisions. A synthetic cohort, seeded so every run sees the same nights: each user has a
//    normal HRV (30–90 ms) and nights around it (±8 %); some nights are real drops (45–65 % of
//    normal: a single bad night, or a three-night illness), some are artifacts (150–200 %: a
//    misread strap), some are missing (no sync). Each night is judged by the shipped
//    `hrv-baseline-drop` rule twice, against the shipped baseline (baselinesAt: the median of the
//    seven days before) and against an EWMA of the nights before (span seven days, α = 0.25), with
//    the same minimum of history. Printed: drops caught (all, and the second and third nights of
//    an illness) and false alarms (on normal nights, and on the normal nights after an artifact).
// 2. Cost. Per event, on a user's stored days as enrich's store holds them (nine days of HRV and
//    resting heart rate): the scan with the two medians, the same scan with an exponentially
//    weighted mean of the same days instead, and the scan alone (what an EWMA kept as one running
//    value would spare the read at most; it still keeps the grace days, to fold a late night in).
// `--users N` (2000) and `--nights N` (120) size the cohort; `--calls N` (1000000) the cost part.
import { WindowCursor } from '../src/streams/state/windowed-bytes.ts';
import { foldInRing, ringLength, writeRing } from '../src/streams/state/windowed-in-place.ts';
import { baselineMetrics, baselinesAt, baselinesOfStored, dayMs, evaluateTriggers, loadRuleSet, addStoredDailyMeans, DayFold, type Baselines, type DayWindow, type RuleMetric } from '../src/triggers/index.ts';
import { baselineWindows, defaultRulesFile } from '../topologies/enrich.ts';
import { countFlag } from './support/options.ts';

const users = countFlag('users', 2_000);
const nights = countFlag('nights', 120);
const calls = countFlag('calls', 1_000_000);
const rules = await loadRuleSet(defaultRulesFile);
const dropRule = rules.rules.find((rule) => rule.id === 'hrv-baseline-drop');
if (!dropRule?.baseline) throw new Error('the shipped rules have no hrv-baseline-drop rule with a baseline condition');
const minDays = dropRule.baseline.minDays;
const alpha = 2 / (7 + 1);
const start = Date.UTC(2026, 0, 1, 4);

/** mulberry32: a seeded generator, so the cohort is the same at every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Kind = 'normal' | 'drop' | 'illness-1' | 'illness-2' | 'illness-3' | 'artifact' | 'missing';

/** A user's nights: their kind and HRV (undefined when missing). */
function nightsOf(random: () => number): Array<{ kind: Kind; hrv: number | undefined }> {
  const normal = 30 + 60 * random();
  const out: Array<{ kind: Kind; hrv: number | undefined }> = [];
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  while (out.length < nights) {
    const roll = random();
    if (roll < 0.01) {
      for (const kind of ['illness-1', 'illness-2', 'illness-3'] as const) out.push({ kind, hrv: normal * (0.45 + 0.2 * random()) });
    } else if (roll < 0.04) out.push({ kind: 'drop', hrv: normal * (0.45 + 0.2 * random()) });
    else if (roll < 0.07) out.push({ kind: 'artifact', hrv: normal * (1.5 + 0.5 * random()) });
    else if (roll < 0.17) out.push({ kind: 'missing', hrv: undefined });
    else out.push({ kind: 'normal', hrv: normal * (1 + 0.08 * gaussian()) });
  }
  return out.slice(0, nights);
}

function fires(hrv: number, baselines: Baselines): boolean {
  return evaluateTriggers(rules, { hrvRmssdMs: hrv }, baselines).some((trigger) => trigger.ruleId === 'hrv-baseline-drop');
}

interface Tally {
  caught: number;
  drops: number;
  caughtLater: number;
  laterIllness: number;
  alarms: number;
  normal: number;
  alarmsAfterArtifact: number;
  afterArtifact: number;
}

function decisions(): Record<'median' | 'ewma', Tally> {
  const empty = (): Tally => ({ caught: 0, drops: 0, caughtLater: 0, laterIllness: 0, alarms: 0, normal: 0, alarmsAfterArtifact: 0, afterArtifact: 0 });
  const tally = { median: empty(), ewma: empty() };
  const random = seeded(20_261_206);
  for (let u = 0; u < users; u += 1) {
    const history = nightsOf(random);
    const windows: DayWindow[] = [];
    let ewma = Number.NaN;
    let seen = 0;
    for (const [n, night] of history.entries()) {
      const occurredAt = start + n * dayMs;
      if (night.hrv === undefined) continue;
      const byMedian = baselinesAt(windows, occurredAt, ['hrvRmssdMs']);
      const byEwma: Baselines = seen > 0 ? [{ metric: 'hrvRmssdMs', median: ewma, days: seen }] : [];
      // Judged only where both have the history the rule asks for, so both see the same nights.
      if ((byMedian[0]?.days ?? 0) >= minDays && seen >= minDays) {
        const afterArtifact = history[n - 1]?.kind === 'artifact';
        for (const [method, baselines] of [['median', byMedian], ['ewma', byEwma]] as const) {
          const t = tally[method];
          const fired = fires(night.hrv, baselines);
          if (night.kind === 'normal') {
            t.normal += 1;
            if (fired) t.alarms += 1;
            if (afterArtifact) {
              t.afterArtifact += 1;
              if (fired) t.alarmsAfterArtifact += 1;
            }
          } else if (night.kind !== 'artifact') {
            t.drops += 1;
            if (fired) t.caught += 1;
            if (night.kind === 'illness-2' || night.kind === 'illness-3') {
              t.laterIllness += 1;
              if (fired) t.caughtLater += 1;
            }
          }
        }
      }
      windows.push({ start: occurredAt - (occurredAt % dayMs), value: { hrvRmssdMs: { sum: night.hrv, count: 1 } } });
      if (windows.length > 9) windows.shift();
      ewma = seen === 0 ? night.hrv : alpha * night.hrv + (1 - alpha) * ewma;
      seen += 1;
    }
  }
  return tally;
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(2)} %`;

const tally = decisions();
console.log(`HRV_BASELINE_DROP decisions, ${users} users × ${nights} nights (judged where both baselines have ${minDays} days of history):`);
for (const [method, t] of Object.entries(tally)) {
  console.log(
    `  ${method.padEnd(6)} caught ${percent(t.caught, t.drops)} of ${t.drops} drops and ${percent(t.caughtLater, t.laterIllness)} of ${t.laterIllness} second and third illness nights;` +
      ` false alarms on ${percent(t.alarms, t.normal)} of ${t.normal} normal nights and ${percent(t.alarmsAfterArtifact, t.afterArtifact)} of ${t.afterArtifact} right after an artifact`,
  );
}

// 2. Cost per event, on a user's full stored value (nine days), as enrich's store reads it.
const metrics = baselineMetrics(rules);
// The days as enrich's store keeps them: a ring of day slots, each event folded into its day.
const emptyDay = new DayFold({}, metrics);
const stored = Buffer.allocUnsafe(ringLength(baselineWindows, emptyDay));
const storedView = new DataView(stored.buffer, stored.byteOffset, stored.length);
writeRing(baselineWindows, emptyDay, undefined, undefined, stored, storedView);
for (let d = 0; d < 12; d += 1) {
  const values = { hrvRmssdMs: 55 + (d % 5), restingHeartRateBpm: 50 + (d % 3) };
  foldInRing(baselineWindows, new DayFold(values, metrics), storedView, start + d * dayMs, { saving: () => undefined });
}
const judgedAt = start + 12 * dayMs;
/** Each metric's weighted sum and weight so far, as the stored days are read (the baseline's medians read them the same way). */
const weighted = {
  sums: new Float64Array(metrics.length),
  weights: new Float64Array(metrics.length),
  weight: 1,
  add(metric: number, mean: number): void {
    this.sums[metric] = this.sums[metric]! + this.weight * mean;
    this.weights[metric] = this.weights[metric]! + this.weight;
  },
};

/** Each metric's mean of the same days weighted by recency (the day before the event 1, each older one × (1 − α)): an average with an EWMA's weights. */
function weightedMeans(cursor: WindowCursor, eventTime: number, of: readonly RuleMetric[]): number {
  const today = eventTime - (eventTime % dayMs);
  weighted.sums.fill(0);
  weighted.weights.fill(0);
  while (cursor.next()) {
    if (cursor.start < today - 7 * dayMs || cursor.start >= today) continue;
    weighted.weight = (1 - alpha) ** ((today - cursor.start) / dayMs - 1);
    addStoredDailyMeans(cursor.view, cursor.at, cursor.length, of, weighted);
  }
  return weighted.sums[0]! / weighted.weights[0]!;
}

function scanOnly(cursor: WindowCursor): number {
  let n = 0;
  while (cursor.next()) n += cursor.length;
  return n;
}

function cost(name: string, run: () => number): void {
  let sink = 0;
  for (let i = 0; i < calls / 10; i += 1) sink += run();
  const began = process.cpuUsage();
  for (let i = 0; i < calls; i += 1) sink += run();
  const used = process.cpuUsage(began);
  console.log(`  ${name.padEnd(62)} ${(((used.user + used.system) * 1_000) / calls).toFixed(0).padStart(5)} ns CPU/event${Number.isNaN(sink) ? ' (NaN)' : ''}`);
}

console.log(`reading a user's baselines from the stored days (${stored!.length} bytes, two metrics), ${calls} events:`);
cost('the scan and the two medians (the shipped baseline)', () => baselinesOfStored(new WindowCursor(baselineWindows, stored), judgedAt, metrics)[0]?.days ?? 0);
cost('the scan and an exponentially weighted mean of the same days', () => weightedMeans(new WindowCursor(baselineWindows, stored), judgedAt, metrics));
cost('the scan alone', () => scanOnly(new WindowCursor(baselineWindows, stored)));

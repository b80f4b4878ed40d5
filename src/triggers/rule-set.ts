import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { headlineFields, severities } from '../events/index.ts';

/** A rule may test any `BiometricEvent` headline field (docs/design.md §4). */
export const ruleMetrics = headlineFields;
export type RuleMetric = (typeof ruleMetrics)[number];

export { severities, type Severity } from '../events/index.ts';

/** Most severe first, as an operator reads a list of allowed values. */
const severitiesMostSevereFirst = [...severities].reverse();

const upperSnake = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, { message: 'must be UPPER_SNAKE_CASE, e.g. STRESS_INTERVENTION' });

/**
 * A condition relative to the user's own baseline (the median of their daily values over the
 * seven days before the event's day): change = (value − baseline) / baseline.
 */
const baselineSchema = z
  .object({
    /** Fires when change <= changeAtMost, e.g. -0.3: at least 30 % below the baseline. */
    changeAtMost: z.number().finite().optional(),
    /** Fires when change >= changeAtLeast, e.g. 0.1: at least 10 % above the baseline. */
    changeAtLeast: z.number().finite().optional(),
    /** Days with a value the baseline needs before the rule may fire. */
    minDays: z.number().int().min(1).max(7, { message: 'must be at most 7, the days a baseline covers' }),
  })
  .strict()
  .refine((b) => b.changeAtMost !== undefined || b.changeAtLeast !== undefined, {
    message: 'needs a bound: "changeAtMost" (e.g. -0.3) or "changeAtLeast" (e.g. 0.1)',
  });

/**
 * Metrics that are deviations, zero or negative as often as not: a change relative to their
 * median has no meaning (a median of 0 or below never lets a baseline condition fire).
 */
const signedMetrics: readonly RuleMetric[] = ['temperatureDeltaC'];

const ruleSchema = z
  .object({
    /** Stable name of the rule, carried on each trigger it fires as `ruleId`. */
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, { message: 'must be lower-kebab-case, e.g. hrv-critical' }),
    metric: z.enum(ruleMetrics, {
      message: `must be one of ${ruleMetrics.join(', ')}`,
    }),
    /** Inclusive lower bound: the rule fires when value >= atLeast. */
    atLeast: z.number().finite().optional(),
    /** Exclusive upper bound: the rule fires when value < below. */
    below: z.number().finite().optional(),
    /** Relative to the user's baseline; combined with atLeast / below when both are given. */
    baseline: baselineSchema.optional(),
    type: upperSnake,
    severity: z.enum(severities, { message: `must be one of ${severitiesMostSevereFirst.join(', ')}` }),
    recommendation: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, { message: 'must be lower_snake_case, e.g. breathing_exercise' }),
  })
  .strict()
  .refine((rule) => rule.atLeast !== undefined || rule.below !== undefined || rule.baseline !== undefined, {
    message: 'needs a bound: "atLeast" (inclusive), "below" (exclusive), "baseline" (relative to the user) or several',
  })
  .refine((rule) => rule.atLeast === undefined || rule.below === undefined || rule.atLeast < rule.below, {
    message: '"atLeast" must be smaller than "below", otherwise the rule can never fire',
  })
  .refine((rule) => rule.baseline === undefined || !signedMetrics.includes(rule.metric), {
    message: `"baseline" cannot judge ${signedMetrics.join(', ')}: a deviation from the user's norm already, zero or negative as often as not, so a change relative to its median has no meaning; use "atLeast" / "below"`,
  });

const ruleSetSchema = z
  .object({
    $schemaVersion: z.literal(1, { message: 'must be 1 (the only rule file version this code reads)' }),
    rules: z.array(ruleSchema).min(1, { message: 'must hold at least one rule' }),
  })
  .strict();

export type TriggerRule = Readonly<z.infer<typeof ruleSchema>>;
export type BaselineCondition = Readonly<z.infer<typeof baselineSchema>>;

/** The metrics some rule judges against a baseline: the ones enrich keeps daily values of. */
export function baselineMetrics(ruleSet: RuleSet): RuleMetric[] {
  return [...new Set(ruleSet.rules.filter((rule) => rule.baseline).map((rule) => rule.metric))];
}
export interface RuleSet {
  readonly rules: readonly TriggerRule[];
}

export class RuleSetError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`invalid trigger rules in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RuleSetError';
    this.problems = problems;
  }
}

/** Validates already-parsed rule data; `source` names the file in error messages. */
export function parseRuleSet(data: unknown, source = 'rule set'): RuleSet {
  const parsed = ruleSetSchema.safeParse(data);
  if (!parsed.success) {
    throw new RuleSetError(
      source,
      parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`),
    );
  }
  const problems = duplicateProblems(parsed.data.rules);
  if (problems.length > 0) throw new RuleSetError(source, problems);
  return Object.freeze({ rules: Object.freeze(parsed.data.rules.map((rule) => Object.freeze(rule.baseline ? { ...rule, baseline: Object.freeze(rule.baseline) } : rule))) });
}

/** Reads and validates a JSON rule file at start, so a typo stops the stage with a clear message. */
export async function loadRuleSet(path: string): Promise<RuleSet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RuleSetError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RuleSetError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseRuleSet(data, path);
}

// A repeated id makes `ruleId` ambiguous for NEUROS; the same type on the same metric twice would
// double-count one condition. Both are almost always copy-paste slips.
function duplicateProblems(rules: readonly TriggerRule[]): string[] {
  const ids = new Map<string, number>();
  const pairs = new Map<string, number>();
  const problems: string[] = [];
  rules.forEach((rule, index) => {
    const firstId = ids.get(rule.id);
    if (firstId === undefined) ids.set(rule.id, index);
    else problems.push(`rules.${index}.id: "${rule.id}" is already the id of rules.${firstId}`);
    const pair = `${rule.metric}/${rule.type}`;
    const firstPair = pairs.get(pair);
    if (firstPair === undefined) pairs.set(pair, index);
    else problems.push(`rules.${index}: repeats metric ${rule.metric} with type ${rule.type} of rules.${firstPair}`);
  });
  return problems;
}

import type { Headlines, Reading } from '../../events/index.ts';
import { RecordError } from '../../streams/errors.ts';
import { arrayAt, isObject, numberAt, objectBody, stringAt, timeAt } from '../kit/payload-fields.ts';
import { buildEvent, unmappable, type VendorMapping } from '../kit/vendor-mapping.ts';
import { healthkitUnitsOf, toBridgeUnit } from './units.ts';

/**
 * Our iOS app uploads batches `{user_id, device, samples: [{type, value, unit, start, end, uuid}]}`
 * with HealthKit identifiers; each sample becomes one event whose id derives from the sample's
 * HealthKit `uuid`, so a re-uploaded batch collapses. A known type's value is converted from the
 * sample's HealthKit unit into the rule's (./units.ts); a unit that does not convert dead-letters
 * the batch rather than store, say, pounds as kilograms.
 */

interface SampleRule {
  readonly dataType: string;
  /** Headline field the value fills, if any; otherwise it becomes a reading. */
  readonly headline?: keyof Headlines;
  readonly metric: string;
  /** The bridge unit the reading is stored in; ./units.ts converts the sample's into it. */
  readonly unit: string;
}

const quantity = 'HKQuantityTypeIdentifier';
const category = 'HKCategoryTypeIdentifier';

// SDNN is what HealthKit measures; it is not RMSSD, so it stays a reading and never fills hrvRmssdMs.
const rules: Readonly<Record<string, SampleRule>> = {
  [`${quantity}HeartRateVariabilitySDNN`]: { dataType: 'hrv', metric: 'hrv_sdnn', unit: 'ms' },
  [`${quantity}RestingHeartRate`]: { dataType: 'heart_rate', headline: 'restingHeartRateBpm', metric: 'resting_heart_rate', unit: 'bpm' },
  [`${quantity}HeartRate`]: { dataType: 'heart_rate', metric: 'heart_rate', unit: 'bpm' },
  [`${quantity}WalkingHeartRateAverage`]: { dataType: 'heart_rate', metric: 'walking_heart_rate', unit: 'bpm' },
  [`${quantity}AppleSleepingWristTemperature`]: { dataType: 'body', metric: 'wrist_temperature', unit: 'celsius' },
  [`${quantity}BodyTemperature`]: { dataType: 'body', metric: 'body_temperature', unit: 'celsius' },
  [`${quantity}OxygenSaturation`]: { dataType: 'body', metric: 'spo2', unit: 'percent' },
  [`${quantity}RespiratoryRate`]: { dataType: 'body', metric: 'respiratory_rate', unit: 'breaths_per_min' },
  [`${quantity}BodyMass`]: { dataType: 'body', metric: 'weight', unit: 'kg' },
  [`${quantity}StepCount`]: { dataType: 'activity', metric: 'steps', unit: 'count' },
  [`${quantity}ActiveEnergyBurned`]: { dataType: 'activity', metric: 'active_energy', unit: 'kcal' },
  [`${quantity}DistanceWalkingRunning`]: { dataType: 'activity', metric: 'distance', unit: 'm' },
  [`${quantity}VO2Max`]: { dataType: 'activity', metric: 'vo2_max', unit: 'ml_per_kg_min' },
};

/** HKCategoryValueSleepAnalysis raw values (iOS 16+). */
const sleepStages: Readonly<Record<number, string>> = { 0: 'in_bed', 1: 'asleep', 2: 'awake', 3: 'core', 4: 'deep', 5: 'rem' };

/** Why a sample's unit cannot be read as the rule's, naming both (a unit is no measurement, so no PHI). */
function unitRefusal(unit: string | undefined, ruleUnit: string): string {
  const accepted = [ruleUnit, ...healthkitUnitsOf(ruleUnit)].join(', ');
  const given = unit === undefined ? 'has no unit' : `has unit "${unit.slice(0, 32)}"`;
  return `${given}, which does not convert to ${ruleUnit} (accepted: ${accepted})`;
}

function snakeCase(identifier: string): string {
  return identifier
    .replace(/^HK(Quantity|Category)TypeIdentifier/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

export const healthkitMapping: VendorMapping = {
  source: 'APPLE_HEALTHKIT',
  map(body, context) {
    const json = objectBody(body, 'healthkit');
    const userId = stringAt(json, 'user_id') ?? unmappable('healthkit', 'batch has no user_id');
    const samples = arrayAt(json, 'samples') ?? unmappable('healthkit', 'batch has no samples array');
    const device = stringAt(json, 'device') ?? stringAt(json, 'device', 'model');
    // An app with nothing new may still upload: understood, nothing to emit.
    if (samples.length === 0) return { events: [], acknowledged: 'healthkit_empty_batch' };
    const events = samples.map((sample, index) => {
      const where = `sample ${index}`;
      if (!isObject(sample)) throw new RecordError('unmappable', `healthkit ${where} is not an object`);
      const uuid = stringAt(sample, 'uuid') ?? unmappable('healthkit', `${where} has no uuid`);
      const type = stringAt(sample, 'type') ?? unmappable('healthkit', `${where} has no type`);
      const start = timeAt(sample, 'start') ?? unmappable('healthkit', `${where} has no usable start`);
      const end = timeAt(sample, 'end') ?? start;
      const value = numberAt(sample, 'value');
      let dataType: string;
      let reading: Reading | undefined;
      const headlines: Headlines = {};
      if (type === `${category}SleepAnalysis`) {
        // A sleep sample's value is its stage; what is measured is the time spent in it.
        const stage = value === undefined ? undefined : sleepStages[value];
        if (stage === undefined) unmappable('healthkit', `${where} has an unknown sleep stage`);
        dataType = 'sleep';
        reading = { metric: `sleep_${stage}_duration`, value: Math.max(0, end - start) / 1000, unit: 's' };
      } else {
        if (value === undefined) unmappable('healthkit', `${where} (${type}) has no numeric value`);
        const rule = rules[type];
        const unit = stringAt(sample, 'unit');
        if (rule === undefined) {
          // Unknown identifiers keep their value and unit under a derived name rather than being lost.
          dataType = 'other';
          reading = { metric: snakeCase(type), value, unit: unit ?? 'unknown' };
        } else {
          const inRuleUnit = unit === undefined ? undefined : toBridgeUnit(value, unit, rule.unit);
          if (inRuleUnit === undefined) unmappable('healthkit', `${where} (${type}) ${unitRefusal(unit, rule.unit)}`);
          dataType = rule.dataType;
          if (rule.headline) headlines[rule.headline] = inRuleUnit;
          reading = { metric: rule.metric, value: inRuleUnit, unit: rule.unit };
        }
      }
      return buildEvent(
        { source: 'APPLE_HEALTHKIT', userId, dataType, occurredAt: start, identity: [uuid], deviceType: device, headlines, readings: [reading] },
        context,
      );
    });
    return { events };
  },
};

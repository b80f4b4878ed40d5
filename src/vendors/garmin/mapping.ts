import type { BiometricEvent, Headlines, Reading } from '../../events/index.ts';
import { RecordError } from '../../streams/errors.ts';
import { isObject, numberAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, needsHydration, readingAt, unmappable, type MappingContext, type VendorMapping } from '../kit/vendor-mapping.ts';

/**
 * Garmin Health API pushes summaries inline, grouped by type: `{"dailies": [...], "sleeps": [...]}`,
 * each item with `userId` and `summaryId` (the event id's identity; one push may cover several
 * users). Ping mode sends `{"<type>": [{userId, callbackURL}]}` instead: needs hydration.
 */
interface SummaryKind {
  readonly dataType: string;
  readonly headlines: (item: JsonObject) => Headlines;
  readonly readings: (item: JsonObject) => (Reading | undefined)[];
}

const kinds: Readonly<Record<string, SummaryKind>> = {
  dailies: {
    dataType: 'daily',
    headlines: (i) => ({ restingHeartRateBpm: numberAt(i, 'restingHeartRateInBeatsPerMinute'), stressLevel: numberAt(i, 'averageStressLevel') }),
    readings: (i) => [
      readingAt(i, 'steps', 'count', 'steps'),
      readingAt(i, 'distance', 'm', 'distanceInMeters'),
      readingAt(i, 'active_calories', 'kcal', 'activeKilocalories'),
      readingAt(i, 'avg_heart_rate', 'bpm', 'averageHeartRateInBeatsPerMinute'),
      readingAt(i, 'max_heart_rate', 'bpm', 'maxHeartRateInBeatsPerMinute'),
      readingAt(i, 'body_battery_charged', 'score', 'bodyBatteryChargedValue'),
    ],
  },
  sleeps: {
    dataType: 'sleep',
    headlines: (i) => ({ sleepScore: numberAt(i, 'overallSleepScore', 'value') }),
    readings: (i) => [
      readingAt(i, 'sleep_duration', 's', 'durationInSeconds'),
      readingAt(i, 'deep_sleep_duration', 's', 'deepSleepDurationInSeconds'),
      readingAt(i, 'light_sleep_duration', 's', 'lightSleepDurationInSeconds'),
      readingAt(i, 'rem_sleep_duration', 's', 'remSleepInSeconds'),
      readingAt(i, 'awake_duration', 's', 'awakeDurationInSeconds'),
    ],
  },
  // Garmin's overnight HRV is an RMSSD average, so lastNightAvg is the headline.
  hrv: {
    dataType: 'hrv',
    headlines: (i) => ({ hrvRmssdMs: numberAt(i, 'lastNightAvg') }),
    readings: (i) => [readingAt(i, 'hrv_5min_high', 'ms', 'lastNight5MinHigh')],
  },
  stressDetails: {
    dataType: 'stress',
    headlines: (i) => ({ stressLevel: numberAt(i, 'averageStressLevel') }),
    readings: (i) => [readingAt(i, 'max_stress_level', 'level', 'maxStressLevel')],
  },
  epochs: {
    dataType: 'activity',
    headlines: () => ({}),
    readings: (i) => [
      readingAt(i, 'steps', 'count', 'steps'),
      readingAt(i, 'active_calories', 'kcal', 'activeKilocalories'),
      readingAt(i, 'mean_heart_rate', 'bpm', 'meanHeartRateInBeatsPerMinute'),
    ],
  },
  bodyComps: {
    dataType: 'body',
    headlines: () => ({}),
    readings: (i) => {
      const grams = numberAt(i, 'weightInGrams');
      return [grams === undefined ? undefined : { metric: 'weight', value: grams / 1000, unit: 'kg' }, readingAt(i, 'body_fat', 'percent', 'bodyFatInPercent')];
    },
  },
  skinTemp: {
    dataType: 'body',
    headlines: (i) => ({ temperatureDeltaC: numberAt(i, 'avgDeviationCelsius') }),
    readings: () => [],
  },
  pulseox: {
    dataType: 'body',
    headlines: () => ({}),
    readings: (i) => [readingAt(i, 'spo2', 'percent', 'averageSpO2')],
  },
  respiration: {
    dataType: 'body',
    headlines: () => ({}),
    readings: (i) => [readingAt(i, 'respiration_rate', 'breaths_per_min', 'avgWakingRespirationValue')],
  },
};

function mapSummary(item: unknown, kindName: string, kind: SummaryKind, index: number, context: MappingContext): BiometricEvent {
  const where = `${kindName}[${index}]`;
  if (!isObject(item)) throw new RecordError('unmappable', `garmin ${where} is not an object`);
  const userId = stringAt(item, 'userId') ?? unmappable('garmin', `${where} has no userId`);
  const summaryId = stringAt(item, 'summaryId') ?? unmappable('garmin', `${where} has no summaryId`);
  const occurredAt =
    timeAt(item, 'startTimeInSeconds') ?? timeAt(item, 'measurementTimeInSeconds') ?? timeAt(item, 'calendarDate') ?? unmappable('garmin', `${where} has no start time`);
  return buildEvent(
    { source: 'GARMIN', userId, dataType: kind.dataType, occurredAt, identity: [kindName, summaryId], headlines: kind.headlines(item), readings: kind.readings(item) },
    context,
  );
}

export const garminMapping: VendorMapping = {
  source: 'GARMIN',
  map(body, context) {
    const json = objectBody(body, 'garmin');
    const events: BiometricEvent[] = [];
    const unknown: string[] = [];
    for (const [kindName, items] of Object.entries(json)) {
      if (!Array.isArray(items)) continue;
      if (items.some((item) => isObject(item) && typeof item['callbackURL'] === 'string')) needsHydration('garmin', `${kindName} ping`);
      const kind = kinds[kindName];
      if (kind === undefined) {
        unknown.push(kindName.slice(0, 40));
        continue;
      }
      items.forEach((item, index) => events.push(mapSummary(item, kindName, kind, index, context)));
    }
    // Part of a push mapped and part not would lose the rest silently: dead-letter the whole push.
    if (unknown.length > 0) unmappable('garmin', `push carries summary types the bridge does not map: ${unknown.join(', ')}`);
    if (events.length === 0) unmappable('garmin', 'push carries no summaries');
    return { events };
  },
};

/**
 * HealthKit unit strings (HKUnit's `unitString`, https://developer.apple.com/documentation/healthkit/hkunit)
 * each bridge unit of the rules accepts besides its own name, with the conversion into it. A sample carries the unit its
 * value was read in, which follows the user's locale (`lb`, `degF`, `mi`), so the value is only
 * right in the bridge unit once converted. Only units whose conversion is exact by definition are
 * listed; any other unit names a sample the bridge cannot read correctly.
 */
type Conversion = (value: number) => number;

const same: Conversion = (value) => value;
const times = (factor: number): Conversion => (value) => value * factor;
const pound = 0.45359237; // kg, the international pound

const conversions: Readonly<Record<string, Readonly<Record<string, Conversion>>>> = {
  ms: { s: times(1000) },
  bpm: { 'count/min': same, 'count/s': times(60) },
  breaths_per_min: { 'count/min': same, 'count/s': times(60) },
  celsius: { degC: same, degF: (value) => (value - 32) / 1.8, K: (value) => value - 273.15 },
  // HealthKit's `%` is a fraction from 0 to 1 (HKUnit.percent()): 0.97 is 97 percent.
  percent: { '%': times(100) },
  kg: { g: times(1e-3), lb: times(pound), oz: times(pound / 16), st: times(pound * 14) },
  // `Cal` is the large calorie, the kilocalorie of food labels.
  kcal: { Cal: same, cal: times(1e-3), kJ: times(1 / 4.184), J: times(1 / 4184) },
  m: { km: times(1000), cm: times(0.01), mi: times(1609.344), yd: times(0.9144), ft: times(0.3048), in: times(0.0254) },
  // HKUnit parses `ml/kg*min` (one `/`, multiplication first) and writes it back as `mL/min·kg`.
  ml_per_kg_min: { 'ml/kg*min': same, 'mL/kg*min': same, 'ml/(kg*min)': same, 'mL/min·kg': same },
};

/**
 * `value` in `healthkitUnit` expressed in `bridgeUnit`, or undefined when the unit is not one the
 * bridge unit accepts. A value already in the bridge unit passes unchanged. Converted values keep
 * twelve significant digits: a factor binary floating point cannot hold exactly leaves noise
 * (0.57 × 100 = 56.99999999999999) far below anything a sensor measures.
 */
export function toBridgeUnit(value: number, healthkitUnit: string, bridgeUnit: string): number | undefined {
  if (healthkitUnit === bridgeUnit) return value;
  const convert = conversions[bridgeUnit]?.[healthkitUnit];
  if (convert === undefined) return undefined;
  const converted = convert(value);
  return Number.isFinite(converted) ? Number(converted.toPrecision(12)) : converted;
}

/** The HealthKit unit strings a bridge unit accepts besides itself, so a refusal can name them. */
export function healthkitUnitsOf(bridgeUnit: string): readonly string[] {
  return Object.keys(conversions[bridgeUnit] ?? {});
}

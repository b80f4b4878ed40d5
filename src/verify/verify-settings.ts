import { BlockList, isIP } from 'node:net';
import type { Env, VendorId } from '../config/schema.ts';
import { vendorIds } from '../config/schema.ts';

/** What verify knows per vendor at run time: secrets, tolerance, networks. */
export interface VendorSettings {
  readonly secrets: readonly string[];
  readonly toleranceMs: number;
  /** Undefined: the source address is not checked. */
  readonly sourceNetworks: BlockList | undefined;
  /** How long a delivery id is remembered; at least the tolerance and the vendor's retry horizon. */
  readonly replayTtlSeconds: number;
}

export type VerifySettings = Readonly<Record<VendorId, VendorSettings>>;

/** `10.0.0.0/8`, `203.0.113.7` (a single address) → a BlockList; throws on a malformed entry. */
export function networkList(cidrs: readonly string[]): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits] = cidr.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`"${cidr}" is not an IP address or CIDR network`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

const defaultToleranceSeconds = 26 * 3_600; // vendors without a signed timestamp never use it

/** Builds per-vendor settings from configuration; `retryHorizonMs` comes from the vendor registry. */
export function verifySettings(config: Env, retryHorizonMs: (vendor: VendorId) => number): VerifySettings {
  const secrets: Record<VendorId, readonly string[]> = {
    oura: config.OURA_WEBHOOK_SECRETS,
    whoop: config.WHOOP_WEBHOOK_SECRETS,
    healthkit: config.HEALTHKIT_WEBHOOK_SECRETS,
    terra: config.TERRA_WEBHOOK_SECRETS,
    'google-health': config.GOOGLE_HEALTH_WEBHOOK_SECRETS,
    polar: config.POLAR_WEBHOOK_SECRETS,
    // Garmin's "secret" is our consumer key, echoed in garmin-client-id.
    garmin: [...(config.GARMIN_CLIENT_ID ? [config.GARMIN_CLIENT_ID] : []), ...config.GARMIN_WEBHOOK_SECRETS],
    withings: config.WITHINGS_WEBHOOK_SECRETS,
  };
  const toleranceSeconds: Partial<Record<VendorId, number>> = {
    oura: config.OURA_TIMESTAMP_TOLERANCE_SECONDS,
    whoop: config.WHOOP_TIMESTAMP_TOLERANCE_SECONDS,
    terra: config.TERRA_TIMESTAMP_TOLERANCE_SECONDS,
    healthkit: config.HEALTHKIT_TIMESTAMP_TOLERANCE_SECONDS,
  };
  const networks: Partial<Record<VendorId, readonly string[]>> = {
    garmin: config.GARMIN_SOURCE_NETWORKS,
    withings: config.WITHINGS_SOURCE_NETWORKS,
  };
  return Object.fromEntries(
    vendorIds.map((vendor) => {
      const toleranceMs = (toleranceSeconds[vendor] ?? defaultToleranceSeconds) * 1000;
      const horizonMs = retryHorizonMs(vendor);
      return [
        vendor,
        {
          secrets: secrets[vendor],
          toleranceMs,
          sourceNetworks: networkList(networks[vendor] ?? []),
          // An hour of slack past the later of the two, so a late retry still finds its first copy.
          replayTtlSeconds: Math.ceil((Math.max(toleranceMs, horizonMs) + 3_600_000) / 1000),
        },
      ];
    }),
  ) as VerifySettings;
}

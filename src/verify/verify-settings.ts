import { BlockList, isIP } from 'node:net';
import type { Env } from '../config/schema.ts';
import { plugins, vendors, type VendorId } from '../vendors/index.ts';

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

/** Per-vendor settings from each plugin's configuration fragment and retry horizon. */
export function verifySettings(config: Env, retryHorizonMs: (vendor: VendorId) => number = (vendor) => vendors[vendor].retryHorizonMs): VerifySettings {
  return Object.fromEntries(
    plugins.map((plugin) => {
      const fromEnv = plugin.settings(config);
      const toleranceMs = (fromEnv.toleranceSeconds ?? defaultToleranceSeconds) * 1000;
      const horizonMs = retryHorizonMs(plugin.id);
      const settings: VendorSettings = {
        secrets: fromEnv.secrets,
        toleranceMs,
        sourceNetworks: networkList(fromEnv.sourceNetworks ?? []),
        // An hour of slack past the later of the two, so a late retry still finds its first copy.
        replayTtlSeconds: Math.ceil((Math.max(toleranceMs, horizonMs) + 3_600_000) / 1000),
      };
      return [plugin.id, settings];
    }),
  ) as VerifySettings;
}

/**
 * Vendors verify takes webhooks of from any address although they sign nothing: configured (a
 * value to match), with no source networks. Their check is a value the vendor does not keep
 * secret (Garmin echoes its client id, which every authorize link shows) and a connected user id.
 */
export function unsignedFromAnywhere(settings: VerifySettings): VendorId[] {
  return plugins.filter((plugin) => plugin.checksSourceNetwork && settings[plugin.id].secrets.length > 0 && settings[plugin.id].sourceNetworks === undefined).map((plugin) => plugin.id);
}

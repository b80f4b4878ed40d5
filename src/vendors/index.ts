import { mediaType } from './kit/body.ts';
import type { VendorPlugin } from './kit/plugin.ts';
import { rawTopic, verifiedTopic } from './kit/topic-names.ts';
import { garmin } from './garmin/index.ts';
import { googleHealth } from './google-health/index.ts';
import { healthkit } from './healthkit/index.ts';
import { oura } from './oura/index.ts';
import { polar } from './polar/index.ts';
import { terra } from './terra/index.ts';
import { whoop } from './whoop/index.ts';
import { withings } from './withings/index.ts';

export type { VendorPlugin } from './kit/plugin.ts';
export type { SignatureScheme, SignedRequest } from './kit/webhook.ts';

/**
 * Every vendor the bridge takes data from, one line each. Adding a vendor is its folder
 * (src/vendors/<vendor>/index.ts), its fixtures (test/fixtures/vendors/<vendor>/), a line here and
 * the Avro `Source` symbol its mapping writes (test/unit/vendors/plugins.test.ts checks it).
 */
export const plugins = [
  oura,
  whoop,
  healthkit,
  terra,
  googleHealth,
  polar,
  garmin,
  withings,
] as const;

export type VendorId = (typeof plugins)[number]['id'];
export const vendorIds: readonly VendorId[] = plugins.map((plugin) => plugin.id);

/** A plugin with what the list adds: its topics and the media types ingress accepts. */
export interface VendorEntry extends VendorPlugin<VendorId> {
  readonly rawTopic: string;
  readonly verifiedTopic: string;
  readonly contentTypes: readonly string[];
}

export const vendors: Readonly<Record<VendorId, VendorEntry>> = Object.fromEntries(
  plugins.map((plugin): [VendorId, VendorEntry] => [
    plugin.id,
    { ...plugin, rawTopic: rawTopic(plugin.id), verifiedTopic: verifiedTopic(plugin.id), contentTypes: Object.keys(plugin.bodyFormats) },
  ]),
) as Record<VendorId, VendorEntry>;

export function isVendorId(id: string): id is VendorId {
  return Object.hasOwn(vendors, id);
}

export function vendorById(id: string): VendorEntry | undefined {
  return isVendorId(id) ? vendors[id] : undefined;
}

/**
 * Which vendor reads a topic: the one whose topic, as `topicOf` names it (`rawTopic`,
 * `verifiedTopic`, or a test's isolated names), is this one. The one answer to that question.
 */
export function vendorOfTopic(topic: string, topicOf: (vendor: VendorId) => string): VendorEntry | undefined {
  let byTopic = topicMaps.get(topicOf);
  if (byTopic === undefined) {
    byTopic = new Map(vendorIds.map((id) => [topicOf(id), vendors[id]]));
    topicMaps.set(topicOf, byTopic);
  }
  return byTopic.get(topic);
}

// Built once per naming function: the lookup runs for every record verify and normalize read.
const topicMaps = new WeakMap<(vendor: VendorId) => string, ReadonlyMap<string, VendorEntry>>();

/** Whether ingress accepts a body declared as `contentType` for this vendor. */
export function acceptsContentType(vendor: VendorEntry, contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type !== undefined && vendor.contentTypes.includes(type);
}

/** The verify stage's parts; the topology wiring is topologies/verify.ts. */
export { checkWebhook, vendorOfRawTopic, verifyReasons, type CheckedWebhook, type VerifyReason } from './check-webhook.ts';
export { verifySettings, networkList, unsignedFromAnywhere, type VendorSettings, type VerifySettings } from './verify-settings.ts';
export { redisReplayGuard, memoryReplayGuard, type ReplayGuard } from './replay-guard.ts';
export { memoryConnectionDirectory, type ConnectionDirectory } from './connections.ts';

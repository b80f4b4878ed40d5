/** Vendor connections: OAuth 2.0 connect flow, tokens sealed at rest, single-flight refresh. */
export { ConnectionRevokedError, ConnectionUnusableError, type Connection, type TokenSource } from './token-source.ts';
export { createConnections, connectRoutesFromConfig, tokenCipherFromConfig, type Connections, type ConnectRoutesService } from './from-config.ts';
export { createConnectRoutes, callbackUrl, type ConnectRoutes, type ConnectRoutesOptions } from './http/connect-routes.ts';
export { createPostgresTokenSource, type VendorClient, type VendorClients, type PostgresTokenSourceOptions } from './postgres-token-source.ts';
export type { UserIdDirectory } from './user-ids.ts';
export { createConnectionReplica, ConnectionsUnreadableError, type ConnectionReplica, type ConnectionReplicaOptions } from './replica.ts';
export { createTokenCipher, tokenKeyId, TokenCipherError, type TokenCipher } from './token-cipher.ts';
export { connectLinkSignature, signConnectLink } from './signing.ts';
export { oauthVendors, vendorClientsFromConfig } from './oauth-vendors.ts';
export { saveConnection, revokeConnectionRow, listConnections, findConnection, type ConnectionSummary, type ConnectionFilter } from './connection-rows.ts';
export { rekeyTokens, type RekeyResult } from './rekey.ts';
export { importConnections, parseImport, type ImportResult } from './import-tokens.ts';
export { OAuthGrantError, VendorUnavailableError, VendorAnswerError } from './oauth-errors.ts';
export type { VendorOAuth, TokenGrant } from './vendor-oauth.ts';
export { subscribeOura, ouraSubscriptionDataTypes, ouraSubscriptionEventTypes, type SubscribeOuraResult } from './oura-subscriptions.ts';
export { createConnectionMetrics, type ConnectionMetrics, type RefreshOutcome } from './metrics.ts';

-- Connections made through the bridge's own OAuth flow (src/connections). Rows from 001 carry no
-- tokens and stay valid: they become 'active', or 'revoked' where disconnected_at was set, and
-- verify's query (disconnected_at IS NULL) reads them as before. A revocation sets both.
-- access_token and refresh_token hold AES-256-GCM envelopes `v1.<key id>.<iv>.<tag>.<data>`,
-- never plaintext; token_key_id names the key both are sealed under (bridge connections rekey).
ALTER TABLE vendor_connections
  ADD COLUMN id              uuid        NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN status          text        NOT NULL DEFAULT 'active',
  ADD COLUMN scopes          text[]      NOT NULL DEFAULT '{}',
  ADD COLUMN access_token    text,
  ADD COLUMN refresh_token   text,
  ADD COLUMN token_key_id    text,
  ADD COLUMN expires_at      timestamptz,
  ADD COLUMN last_refresh_at timestamptz,
  ADD COLUMN last_error      text,
  ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now();

UPDATE vendor_connections SET status = 'revoked' WHERE disconnected_at IS NOT NULL;

ALTER TABLE vendor_connections
  ADD CONSTRAINT vendor_connections_id_key UNIQUE (id),
  ADD CONSTRAINT vendor_connections_status_check CHECK (status IN ('active', 'revoked', 'error')),
  ADD CONSTRAINT vendor_connections_tokens_keyed CHECK ((access_token IS NULL AND refresh_token IS NULL) OR token_key_id IS NOT NULL);

-- rekey looks for rows still under an old key.
CREATE INDEX vendor_connections_token_key ON vendor_connections (token_key_id) WHERE token_key_id IS NOT NULL;

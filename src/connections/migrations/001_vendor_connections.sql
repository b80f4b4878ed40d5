-- Users connected to a vendor through our OAuth flow. Vendors that do not sign their webhooks
-- (Garmin, Withings) are trusted only for users listed here; verify dead-letters the rest as
-- unknown_user. A disconnect keeps the row (audit) and sets disconnected_at.
-- The table was first created by the sink's migration 002 (recorded in schema_migrations); on
-- such a database this file finds it there and only records itself.
CREATE TABLE IF NOT EXISTS vendor_connections (
  vendor          text        NOT NULL,
  vendor_user_id  text        NOT NULL,
  user_id         text        NOT NULL,
  connected_at    timestamptz NOT NULL DEFAULT now(),
  disconnected_at timestamptz,
  PRIMARY KEY (vendor, vendor_user_id)
);

CREATE INDEX IF NOT EXISTS vendor_connections_user ON vendor_connections (user_id);

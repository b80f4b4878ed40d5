-- One row per BiometricEvent (DESIGN.md §8). event_id is deterministic, so replays and duplicate
-- deliveries collapse on the primary key (the sink inserts with ON CONFLICT DO NOTHING).
CREATE TABLE biometric_events (
  event_id      text        PRIMARY KEY,
  user_id       text        NOT NULL,
  source        text        NOT NULL,
  data_type     text        NOT NULL,
  occurred_at   timestamptz NOT NULL,
  received_at   timestamptz NOT NULL,
  metrics       jsonb       NOT NULL,
  triggers      jsonb       NOT NULL DEFAULT '[]'::jsonb,
  priority      text        NOT NULL,
  schema_id     integer,
  src_topic     text        NOT NULL,
  src_partition integer     NOT NULL,
  src_offset    bigint      NOT NULL,
  inserted_at   timestamptz NOT NULL DEFAULT now()
);

-- NEUROS and the dashboards read one user's recent history.
CREATE INDEX biometric_events_user_occurred_idx ON biometric_events (user_id, occurred_at);

-- A vendor deletion retracts an event without losing its history (docs/design.md §8): the row
-- stays, deleted_at says since when it no longer counts, and readers of live data filter on it.
-- Deleted rows are rare, so the (user_id, occurred_at) index serves those reads without a second
-- index every insert would have to maintain.
ALTER TABLE biometric_events ADD COLUMN deleted_at timestamptz;

-- verify and normalize keep a replica of this table in memory and read only the rows changed
-- since their last read, by updated_at (src/connections/replica.ts). The trigger stamps every
-- write with the time of the write itself: now() is the transaction's start, which a write inside
-- a long transaction (a token refresh waiting on a vendor) would carry into the past, and writers
-- that forget the column still move it.
CREATE OR REPLACE FUNCTION vendor_connections_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END
$$;

CREATE TRIGGER vendor_connections_touch BEFORE INSERT OR UPDATE ON vendor_connections
  FOR EACH ROW EXECUTE FUNCTION vendor_connections_touch();

CREATE INDEX vendor_connections_updated ON vendor_connections (updated_at);

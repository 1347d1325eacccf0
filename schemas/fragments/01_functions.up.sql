-- Functions every variant shares: ids, time, updated_at, the audit actor.
--
-- IDs. Messages use snowflake-style BIGINT ids: (milliseconds since 2020-01-01 UTC) * 4096 + a
-- 12-bit sequence. Many writers can mint them without a shared counter row, an id's order is its
-- time order (so a keyset cursor on id is a time cursor, and created_at follows from the id), and
-- they fit in 53 bits, so JavaScript clients read them as exact numbers. The 12 low bits allow 4096
-- ids per millisecond; 41 bits of milliseconds last until 2089. Low-volume tables (users, servers,
-- channels, roles) use identity columns: one writer at a time, compact, and nobody pages by them.

CREATE SEQUENCE snowflake_seq AS bigint MINVALUE 0 MAXVALUE 4095 START 0 CYCLE CACHE 1;

CREATE FUNCTION snowflake_at(ts timestamptz) RETURNS bigint
LANGUAGE sql VOLATILE PARALLEL UNSAFE AS $$
  SELECT ((floor(extract(epoch FROM ts) * 1000)::bigint - 1577836800000) * 4096) + nextval('snowflake_seq')
$$;
COMMENT ON FUNCTION snowflake_at(timestamptz) IS 'A new message id for a message created at ts.';

CREATE FUNCTION next_snowflake() RETURNS bigint
LANGUAGE sql VOLATILE PARALLEL UNSAFE AS $$ SELECT snowflake_at(clock_timestamp()) $$;

-- The creation time an id encodes, exactly (millisecond precision), so a query by id can add a
-- bound on created_at and let partition pruning and time indexes work.
CREATE FUNCTION snowflake_time(id bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT timestamptz '2020-01-01 00:00:00+00' + ((id >> 12) * interval '1 millisecond')
$$;

-- The smallest id a message created at ts can have: a keyset bound from a time bound.
CREATE FUNCTION snowflake_floor(ts timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (floor(extract(epoch FROM ts) * 1000)::bigint - 1577836800000) * 4096
$$;

-- The smallest id of a message created at or after ts (ts rounded up to a whole millisecond), so
-- that "created_at >= ts" is exactly "id >= snowflake_ceil(ts)" and "created_at < ts" exactly
-- "id < snowflake_ceil(ts)": the id bound a time-bounded query adds so id partitions prune.
CREATE FUNCTION snowflake_ceil(ts timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT snowflake_floor(ts) + CASE WHEN snowflake_time(snowflake_floor(ts)) < ts THEN 4096 ELSE 0 END
$$;

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

-- The application sets app.user_id (SET LOCAL app.user_id = '42') so audit triggers know who acted.
CREATE FUNCTION current_actor() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('app.user_id', true), '')::bigint
$$;

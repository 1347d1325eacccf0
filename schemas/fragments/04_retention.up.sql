-- Retention and, for partitioned variants, partition management. pg_partman is not on every server,
-- so the schema carries its own small version: create_message_partitions() makes the partitions
-- for a time range ahead of time (the seeder calls it for the range it is about to load; a cron job
-- would call it for the weeks ahead), and purge_messages_before() drops old history.
{{#partitioned}}

-- The four hot tables share partition bounds ({{partition_unit}}ly, aligned in UTC), so that a period
-- of history lives in four partitions that are detached and dropped together.
CREATE FUNCTION message_partition_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ARRAY['messages', 'message_edits', 'reactions', 'attachments'] $$;

CREATE FUNCTION message_partition_start(ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT date_trunc('{{partition_unit}}', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

CREATE FUNCTION create_message_partitions(from_ts timestamptz, to_ts timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  parent text;
  parent_schema text;
  lo timestamptz := message_partition_start(from_ts);
  hi timestamptz;
  created integer := 0;
BEGIN
  WHILE lo < to_ts LOOP
    hi := lo + interval '1 {{partition_unit}}';
    FOREACH parent IN ARRAY message_partition_tables() LOOP
      SELECT n.nspname INTO parent_schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.oid = parent::regclass;
      IF to_regclass(format('%I.%I', parent_schema, parent || '_p' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD'))) IS NULL THEN
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                       parent_schema, parent || '_p' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD'),
                       parent_schema, parent, lo, hi);
        created := created + 1;
      END IF;
    END LOOP;
    lo := hi;
  END LOOP;
  RETURN created;
END
$$;
COMMENT ON FUNCTION create_message_partitions(timestamptz, timestamptz) IS
  'Creates the {{partition_unit}}ly partitions of messages, message_edits, reactions and attachments covering [from_ts, to_ts); returns how many tables it created.';

-- The partitions (of all four tables) whose period ends at or before cutoff, children first.
CREATE FUNCTION droppable_message_partitions(cutoff timestamptz)
RETURNS TABLE (child regclass, parent regclass, upper_bound timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT c.oid::regclass, p.oid::regclass, b.upper_bound
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    CROSS JOIN LATERAL (SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS upper_bound) b
   WHERE p.oid = ANY (ARRAY(SELECT t::regclass FROM unnest(message_partition_tables()) AS t))
     AND b.upper_bound <= cutoff
   ORDER BY b.upper_bound, array_position(message_partition_tables(), p.relname::text) DESC
$$;

-- Detaches and drops every period that ends at or before cutoff, children first so the foreign keys
-- to messages never see a dangling row (cost: catalog work, whatever the row count), then deletes
-- what remains before cutoff in the period that straddles it, so the result equals a DELETE's.
CREATE FUNCTION purge_messages_before(cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  part record;
  n bigint;
  removed bigint := 0;
BEGIN
  IF EXISTS (SELECT 1 FROM droppable_message_partitions(cutoff)) THEN
    -- Parents first, in one order: readers lock messages before its partitions, so taking every
    -- lock up front makes them wait for the detach instead of deadlocking with it.
    LOCK TABLE messages, message_edits, reactions, attachments IN ACCESS EXCLUSIVE MODE;
    FOR part IN SELECT * FROM droppable_message_partitions(cutoff) LOOP
      IF part.parent = 'messages'::regclass THEN
        EXECUTE format('SELECT count(*) FROM %s', part.child) INTO n;
        removed := removed + n;
      END IF;
      EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', part.parent, part.child);
      EXECUTE format('DROP TABLE %s', part.child);
    END LOOP;
  END IF;
  DELETE FROM messages WHERE created_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN removed + n;
END
$$;
{{/partitioned}}
{{^partitioned}}

-- One table: old history goes by DELETE (the foreign keys cascade to edits, reactions and
-- attachments), which writes WAL for every row and leaves dead tuples for VACUUM.
CREATE FUNCTION purge_messages_before(cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  dropped bigint;
BEGIN
  DELETE FROM messages WHERE created_at < cutoff;
  GET DIAGNOSTICS dropped = ROW_COUNT;
  RETURN dropped;
END
$$;
{{/partitioned}}
COMMENT ON FUNCTION purge_messages_before(timestamptz) IS 'Retention: removes messages (and their edits, reactions, attachments) created before cutoff; returns the number of messages removed.';

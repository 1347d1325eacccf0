-- Retention and, for range-partitioned variants, partition management. pg_partman is not on every
-- server, so the schema carries its own small version: create_message_partitions() makes the
-- partitions for a time range ahead of time (the seeder calls it for the range it is about to load;
-- a cron job would call it for the weeks ahead), and purge_messages_before() drops old history.
--
-- Three ways to remove history, the method argument of purge_messages_before():
--   delete               DELETE the rows (the foreign keys cascade to edits, reactions, attachments):
--                        WAL for every row, dead tuples for VACUUM, readers never wait.
--   detach               detach and drop whole partitions in one transaction, every lock taken up
--                        front: little WAL, but readers queue behind the ACCESS EXCLUSIVE locks.
--   detach-concurrently  ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY, then DROP, one
--                        statement at a time (it cannot run in a transaction block or a function):
--                        run the statements of message_purge_steps(cutoff) in order, as chatbench does.
-- Variants without range partitions have nothing to detach: every method is the DELETE.
-- All of them remove exactly the messages created before the cutoff. created_at is the time the id
-- encodes, so "created_at < cutoff" is also "id < the first id of the cutoff", which is how id
-- partitions are bounded and what lets the DELETE prune on every layout.
{{#range_partitioned}}

-- The four hot tables share partition bounds ({{partition_unit}}ly, aligned in UTC, on {{partition_key}} and
-- its children's {{child_key}}), so that a period of history lives in four partitions that are detached and
-- dropped together.
CREATE FUNCTION message_partition_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ARRAY['messages', 'message_edits', 'reactions', 'attachments'] $$;

CREATE FUNCTION message_partition_start(ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT date_trunc('{{partition_unit}}', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

-- A period's bound as it appears in FOR VALUES: {{#time_partitioned}}its first instant{{/time_partitioned}}{{#id_partitioned}}the first snowflake id of its first instant{{/id_partitioned}}.
CREATE FUNCTION message_partition_bound(ts timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
{{#time_partitioned}}
  SELECT quote_literal(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00')
{{/time_partitioned}}
{{#id_partitioned}}
  SELECT snowflake_ceil(ts)::text
{{/id_partitioned}}
$$;

-- The instant a partition's upper bound stands for, read from the catalog.
CREATE FUNCTION message_partition_end(part regclass) RETURNS timestamptz
LANGUAGE sql STABLE STRICT AS $$
{{#time_partitioned}}
  SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
{{/time_partitioned}}
{{#id_partitioned}}
  SELECT snowflake_time((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''?([0-9]+)''?\)'))[1]::bigint)
{{/id_partitioned}}
    FROM pg_class c WHERE c.oid = part
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
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%s) TO (%s)',
                       parent_schema, parent || '_p' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD'),
                       parent_schema, parent, message_partition_bound(lo), message_partition_bound(hi));
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

-- The partitions (of all four tables) whose period ends at or before cutoff, children first, and
-- whether a concurrent detach of one was interrupted (it is then finished with FINALIZE).
CREATE FUNCTION droppable_message_partitions(cutoff timestamptz)
RETURNS TABLE (child regclass, parent regclass, upper_bound timestamptz, detach_pending boolean)
LANGUAGE sql STABLE AS $$
  -- Materialised first: the bounds of other schemas' partitions are not this schema's to read.
  WITH ours AS MATERIALIZED (
    SELECT c.oid AS child, p.oid AS parent, p.relname AS parent_name, i.inhdetachpending AS pending
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.oid = ANY (ARRAY(SELECT t::regclass FROM unnest(message_partition_tables()) AS t))
  ), bounded AS MATERIALIZED (
    SELECT ours.*, message_partition_end(child) AS upper_bound FROM ours
  )
  SELECT child::regclass, parent::regclass, upper_bound, pending
    FROM bounded
   WHERE upper_bound <= cutoff
   ORDER BY upper_bound, array_position(message_partition_tables(), parent_name::text) DESC
$$;

-- A table detached by a concurrent purge carries this comment until it is dropped, so a purge that
-- was interrupted between the two statements is finished by the next one (and only such tables are).
CREATE FUNCTION message_partition_detached_mark() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 'chatbench retention: detached by purge_messages_before, to be dropped' $$;

-- Dropping a detached table removes its foreign keys, and with them the triggers they keep on the
-- tables they reference: that takes ACCESS EXCLUSIVE on those tables (all of messages' partitions,
-- for a detached reactions partition; channels and users, for a detached messages partition).
-- Taken implicitly, partition by partition, those locks deadlock with readers that hold messages
-- and some of its partitions; so the concurrent purge takes them first, parents first, in one
-- statement with the DROP, and gives up after lock_timeout rather than queue readers behind it.
CREATE FUNCTION message_partition_drop(part regclass, concurrent boolean) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN concurrent AND refs IS NOT NULL
              THEN format('SET LOCAL lock_timeout = %L; LOCK TABLE %s IN ACCESS EXCLUSIVE MODE; DROP TABLE %s', '200ms', refs, part)
              ELSE format('DROP TABLE %s', part) END
    FROM (SELECT string_agg(r::text, ', ' ORDER BY r::text) AS refs
            FROM (SELECT DISTINCT coalesce(pg_partition_root(con.confrelid), con.confrelid)::regclass AS r
                    FROM pg_constraint con WHERE con.conrelid = part AND con.contype = 'f') x) y
$$;

-- The statements that remove the messages created before cutoff, in order; "counts" marks those
-- that return the number of messages they remove (as "removed"). Each statement stands alone:
-- with concurrent (the default), run them outside any transaction. A statement that fails with
-- lock_not_available (55P03, readers held a table longer than lock_timeout) can be run again; a
-- purge interrupted between two statements is finished by asking for the steps again (pending
-- detaches are finalised, detached tables dropped).
CREATE FUNCTION message_purge_steps(cutoff timestamptz, concurrent boolean DEFAULT true)
RETURNS TABLE (statement text, counts boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  part record;
BEGIN
  -- What an interrupted concurrent purge left: detaches to finish, detached tables to drop.
  FOR part IN SELECT d.child, d.parent FROM droppable_message_partitions('infinity') d WHERE d.detach_pending LOOP
    statement := format('ALTER TABLE %s DETACH PARTITION %s FINALIZE', part.parent, part.child); counts := false; RETURN NEXT;
    statement := message_partition_drop(part.child, concurrent); RETURN NEXT;
  END LOOP;
  FOR part IN
    SELECT c.oid::regclass AS child
      FROM pg_class c
     WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'messages'::regclass)
       AND c.relkind = 'r' AND NOT c.relispartition
       AND obj_description(c.oid, 'pg_class') = message_partition_detached_mark()
     ORDER BY c.relname LIKE 'messages%', c.relname
  LOOP
    statement := message_partition_drop(part.child, concurrent); counts := false; RETURN NEXT;
  END LOOP;
  -- Whole periods, children before messages so the foreign keys never see a dangling row.
  FOR part IN SELECT * FROM droppable_message_partitions(cutoff) d WHERE NOT d.detach_pending LOOP
    IF part.parent = 'messages'::regclass THEN
      statement := format('SELECT count(*) AS removed FROM %s', part.child); counts := true; RETURN NEXT;
    END IF;
    counts := false;
    IF concurrent THEN
      statement := format('COMMENT ON TABLE %s IS %L', part.child, message_partition_detached_mark()); RETURN NEXT;
      statement := format('ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY', part.parent, part.child); RETURN NEXT;
    ELSE
      statement := format('ALTER TABLE %s DETACH PARTITION %s', part.parent, part.child); RETURN NEXT;
    END IF;
    statement := message_partition_drop(part.child, concurrent); RETURN NEXT;
  END LOOP;
  -- What remains before cutoff in the period that straddles it (the foreign keys cascade).
  statement := format('WITH gone AS (DELETE FROM messages WHERE id < %s AND created_at < %L RETURNING 1) SELECT count(*) AS removed FROM gone',
                      snowflake_ceil(cutoff), cutoff);
  counts := true;
  RETURN NEXT;
END
$$;

CREATE FUNCTION purge_messages_before(cutoff timestamptz, method text DEFAULT 'detach') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  step record;
  n bigint;
  removed bigint := 0;
BEGIN
  IF method = 'delete' THEN
    EXECUTE format('WITH gone AS (DELETE FROM messages WHERE id < %s AND created_at < %L RETURNING 1) SELECT count(*) FROM gone',
                   snowflake_ceil(cutoff), cutoff) INTO removed;
    RETURN removed;
  ELSIF method = 'detach-concurrently' THEN
    RAISE EXCEPTION 'purge_messages_before cannot detach concurrently: DETACH PARTITION ... CONCURRENTLY cannot run inside a function'
      USING ERRCODE = '0A000', HINT = 'run the statements of message_purge_steps(cutoff) one by one, outside a transaction block';
  ELSIF method IS DISTINCT FROM 'detach' THEN
    RAISE EXCEPTION 'unknown retention method %: expected delete, detach or detach-concurrently', method USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM droppable_message_partitions(cutoff)) THEN
    -- Parents first, in one order: readers lock messages before its partitions, so taking every
    -- lock up front makes them wait for the detach instead of deadlocking with it.
    LOCK TABLE messages, message_edits, reactions, attachments IN ACCESS EXCLUSIVE MODE;
  END IF;
  FOR step IN SELECT * FROM message_purge_steps(cutoff, false) LOOP
    IF step.counts THEN
      EXECUTE step.statement INTO n;
      removed := removed + n;
    ELSE
      EXECUTE step.statement;
    END IF;
  END LOOP;
  RETURN removed;
END
$$;
{{/range_partitioned}}
{{^range_partitioned}}

-- Nothing to detach: old history goes by DELETE, which writes WAL for every row and leaves dead
-- tuples for VACUUM. The statements, in the shape the partitioned variants give them.
CREATE FUNCTION message_purge_steps(cutoff timestamptz, concurrent boolean DEFAULT true)
RETURNS TABLE (statement text, counts boolean)
LANGUAGE plpgsql STABLE AS $$
{{#hash_partitioned}}
DECLARE
  child text;
{{/hash_partitioned}}
BEGIN
{{#hash_partitioned}}
  -- No foreign key from the children to messages here (PostgreSQL cannot enforce a unique key on
  -- messages (id, created_at) across partitions by channel), so they are deleted first, by message id.
  FOREACH child IN ARRAY ARRAY['attachments', 'reactions', 'message_edits'] LOOP
    statement := format('DELETE FROM %I WHERE message_id < %s AND message_created_at < %L', child, snowflake_ceil(cutoff), cutoff);
    counts := false;
    RETURN NEXT;
  END LOOP;
{{/hash_partitioned}}
{{^hash_partitioned}}
  -- The foreign keys cascade the DELETE to edits, reactions and attachments.
{{/hash_partitioned}}
  statement := format('WITH gone AS (DELETE FROM messages WHERE id < %s AND created_at < %L RETURNING 1) SELECT count(*) AS removed FROM gone',
                      snowflake_ceil(cutoff), cutoff);
  counts := true;
  RETURN NEXT;
END
$$;

CREATE FUNCTION purge_messages_before(cutoff timestamptz, method text DEFAULT 'detach') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  step record;
  n bigint;
  removed bigint := 0;
BEGIN
  IF method IS NULL OR method NOT IN ('delete', 'detach', 'detach-concurrently') THEN
    RAISE EXCEPTION 'unknown retention method %: expected delete, detach or detach-concurrently', method USING ERRCODE = '22023';
  END IF;
  FOR step IN SELECT * FROM message_purge_steps(cutoff) LOOP
    IF step.counts THEN
      EXECUTE step.statement INTO n;
      removed := removed + n;
    ELSE
      EXECUTE step.statement;
    END IF;
  END LOOP;
  RETURN removed;
END
$$;
{{/range_partitioned}}
COMMENT ON FUNCTION purge_messages_before(timestamptz, text) IS 'Retention: removes messages (and their edits, reactions, attachments) created before cutoff by the method given (delete, detach; detach-concurrently through message_purge_steps()); returns the number of messages removed.';

DROP FUNCTION purge_messages_before(timestamptz, text);
DROP FUNCTION message_purge_steps(timestamptz, boolean);
{{#range_partitioned}}
DROP FUNCTION message_partition_drop(regclass, boolean);
DROP FUNCTION message_partition_detached_mark();
DROP FUNCTION droppable_message_partitions(timestamptz);
DROP FUNCTION create_message_partitions(timestamptz, timestamptz);
DROP FUNCTION message_partition_end(regclass);
DROP FUNCTION message_partition_bound(timestamptz);
DROP FUNCTION message_partition_start(timestamptz);
DROP FUNCTION message_partition_tables();
{{/range_partitioned}}

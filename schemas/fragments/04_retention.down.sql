DROP FUNCTION purge_messages_before(timestamptz);
{{#partitioned}}
DROP FUNCTION droppable_message_partitions(timestamptz);
DROP FUNCTION create_message_partitions(timestamptz, timestamptz);
DROP FUNCTION message_partition_start(timestamptz);
DROP FUNCTION message_partition_tables();
{{/partitioned}}

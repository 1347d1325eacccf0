DROP INDEX messages_created_at_idx;

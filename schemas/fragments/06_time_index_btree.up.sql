-- Time-range reads (last hour of a server, a month's moderation export, retention) by a B-tree on
-- created_at: precise for any range, but as large as the table's key column and maintained on every
-- insert.{{#partial_indexes}} Partial: every read of messages skips soft-deleted rows, and retention deletes by
-- id (the primary key).{{/partial_indexes}}
CREATE INDEX messages_created_at_idx ON messages (created_at){{#partial_indexes}} WHERE deleted_at IS NULL{{/partial_indexes}};

-- Time-range reads by a BRIN index on created_at: a few kilobytes per million rows, almost free to
-- maintain, and exact enough because messages arrive in time order, so each block range holds a
-- narrow slice of time. 32 pages per range (about 2,000 messages) keeps a one-hour scan small.
CREATE INDEX messages_created_at_idx ON messages USING brin (created_at) WITH (pages_per_range = 32);

-- Optional: full-text search over message content. An expression index rather than a stored
-- tsvector column, so the table (and every checksum of it) is the same with or without search; the
-- 'simple' configuration because chat is multilingual. Queries must use the same expression:
--   to_tsvector('simple', content) @@ websearch_to_tsquery('simple', $1)
CREATE INDEX messages_content_fts_idx ON messages USING gin (to_tsvector('simple'::regconfig, content));

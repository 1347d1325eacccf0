DROP FUNCTION current_actor();
DROP FUNCTION set_updated_at();
DROP FUNCTION snowflake_ceil(timestamptz);
DROP FUNCTION snowflake_floor(timestamptz);
DROP FUNCTION snowflake_time(bigint);
DROP FUNCTION next_snowflake();
DROP FUNCTION snowflake_at(timestamptz);
DROP SEQUENCE snowflake_seq;

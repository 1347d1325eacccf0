-- Optional: keep channels.message_count / last_message_id / last_message_at current on every send
-- and soft delete. Cheap per row, but every message in a channel updates the same channel row, so a
-- raid on one channel queues its writers on that row's lock: the send-burst scenario measures it.
CREATE FUNCTION maintain_channel_counters() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.deleted_at IS NULL THEN
      UPDATE channels
         SET message_count = message_count + 1,
             last_message_id = greatest(last_message_id, NEW.id),
             last_message_at = greatest(last_message_at, NEW.created_at)
       WHERE id = NEW.channel_id;
    END IF;
  ELSIF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
    UPDATE channels c
       SET message_count = greatest(c.message_count - 1, 0),
           (last_message_id, last_message_at) = (
             SELECT m.id, m.created_at FROM messages m
              WHERE m.channel_id = NEW.channel_id AND m.deleted_at IS NULL AND m.id <> NEW.id
              ORDER BY m.id DESC LIMIT 1)
     WHERE c.id = NEW.channel_id AND c.last_message_id = NEW.id;
    IF NOT FOUND THEN
      UPDATE channels SET message_count = greatest(message_count - 1, 0) WHERE id = NEW.channel_id;
    END IF;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER messages_channel_counters AFTER INSERT OR UPDATE OF deleted_at ON messages
  FOR EACH ROW EXECUTE FUNCTION maintain_channel_counters();

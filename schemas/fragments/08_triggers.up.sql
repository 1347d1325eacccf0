-- Triggers every variant has: updated_at, the audit log, message edit history; and the set-based
-- reconciliation of the channel counters that a bulk load (which runs without triggers) needs.

CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER servers_updated_at BEFORE UPDATE ON servers FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER server_members_updated_at BEFORE UPDATE ON server_members FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- Only a change to the channel itself counts as an update, not the message counters.
CREATE TRIGGER channels_updated_at BEFORE UPDATE OF server_id, parent_id, type, name, topic, position, nsfw ON channels
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER roles_updated_at BEFORE UPDATE ON roles FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER channel_permission_overwrites_updated_at BEFORE UPDATE ON channel_permission_overwrites FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER friendships_updated_at BEFORE UPDATE ON friendships FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER read_states_updated_at BEFORE UPDATE ON read_states FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER user_presence_updated_at BEFORE UPDATE ON user_presence FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE FUNCTION audit_member_roles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (server_id, actor_id, action, target_user_id, target_id)
    VALUES (NEW.server_id, current_actor(), 'role_grant', NEW.user_id, NEW.role_id);
  ELSE
    INSERT INTO audit_log (server_id, actor_id, action, target_user_id, target_id)
    VALUES (OLD.server_id, current_actor(), 'role_revoke', OLD.user_id, OLD.role_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER member_roles_audit AFTER INSERT OR DELETE ON member_roles FOR EACH ROW EXECUTE FUNCTION audit_member_roles();

CREATE FUNCTION audit_member_remove() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_log (server_id, actor_id, action, target_user_id, details)
  VALUES (OLD.server_id, current_actor(), 'member_remove', OLD.user_id,
          jsonb_build_object('self', current_actor() IS NOT DISTINCT FROM OLD.user_id));
  RETURN NULL;
END
$$;
CREATE TRIGGER server_members_audit AFTER DELETE ON server_members FOR EACH ROW EXECUTE FUNCTION audit_member_remove();

-- A moderator deleting someone else's message is audited; authors deleting their own are not.
CREATE FUNCTION audit_message_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_actor() IS DISTINCT FROM NEW.author_id THEN
    INSERT INTO audit_log (server_id, actor_id, action, target_user_id, target_id, details)
    VALUES ((SELECT server_id FROM channels WHERE id = NEW.channel_id), current_actor(), 'message_delete',
            NEW.author_id, NEW.id, jsonb_build_object('channel_id', NEW.channel_id));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER messages_delete_audit AFTER UPDATE OF deleted_at ON messages
  FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL) EXECUTE FUNCTION audit_message_delete();

-- Editing keeps the previous text in message_edits and stamps edited_at (unless the statement set it).
CREATE FUNCTION record_message_edit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.edited_at IS NOT DISTINCT FROM OLD.edited_at THEN
    NEW.edited_at := now();
  END IF;
  INSERT INTO message_edits (message_id, message_created_at, revision, content, created_at)
  VALUES (OLD.id, OLD.created_at,
          coalesce((SELECT max(revision) FROM message_edits WHERE message_id = OLD.id AND message_created_at = OLD.created_at), 0) + 1,
          OLD.content, NEW.edited_at);
  RETURN NEW;
END
$$;
CREATE TRIGGER messages_edit_history BEFORE UPDATE OF content ON messages
  FOR EACH ROW WHEN (OLD.content IS DISTINCT FROM NEW.content) EXECUTE FUNCTION record_message_edit();

-- Sets every channel's message_count, last_message_id and last_message_at from messages in one
-- statement (one scan and aggregate of messages), touching only the channels that are wrong.
CREATE FUNCTION reconcile_channel_counters() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  changed bigint;
BEGIN
  UPDATE channels c
     SET message_count = coalesce(s.n, 0), last_message_id = s.last_id, last_message_at = s.last_at
    FROM channels ch
    LEFT JOIN (SELECT channel_id, count(*) AS n, max(id) AS last_id, max(created_at) AS last_at
                 FROM messages WHERE deleted_at IS NULL GROUP BY channel_id) s ON s.channel_id = ch.id
   WHERE c.id = ch.id
     AND (c.message_count, c.last_message_id, c.last_message_at) IS DISTINCT FROM (coalesce(s.n, 0), s.last_id, s.last_at);
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END
$$;

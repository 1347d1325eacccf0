DROP TRIGGER messages_channel_counters ON messages;
DROP FUNCTION maintain_channel_counters();

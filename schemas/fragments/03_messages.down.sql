DROP TABLE attachments;
DROP TABLE reactions;
DROP TABLE message_edits;
DROP TABLE messages;

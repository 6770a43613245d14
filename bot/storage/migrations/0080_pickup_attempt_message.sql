-- A wrong pickup code remembers the message it was typed in (SPEC §6, docs/inbox.md): a message
-- handled again after a kill -9 (the inbox replays an update whose done-mark was not written)
-- must not count as a second wrong code. NULL for attempts recorded before this migration and
-- for callers without a message (SQLite's UNIQUE lets NULLs repeat).
ALTER TABLE pickup_attempts ADD COLUMN chat_id INTEGER;
ALTER TABLE pickup_attempts ADD COLUMN message_id INTEGER;
CREATE UNIQUE INDEX pickup_attempts_message ON pickup_attempts(chat_id, message_id);

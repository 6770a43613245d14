-- Effects recorded once per Telegram message (docs/inbox.md, "Handling"): a message handled
-- again after a kill -9 (the inbox replays an update whose done-mark was not written) must not
-- repeat them. A wrong pickup code remembers the message it was typed in (SPEC §6), so it is
-- not counted twice. NULL for attempts recorded before this migration and
-- for callers without a message (SQLite's UNIQUE lets NULLs repeat).
ALTER TABLE pickup_attempts ADD COLUMN chat_id INTEGER;
ALTER TABLE pickup_attempts ADD COLUMN message_id INTEGER;
CREATE UNIQUE INDEX pickup_attempts_message ON pickup_attempts(chat_id, message_id);

-- Likewise a manifest sent to the bot remembers its message: handled again after a kill, it is
-- reported as loaded by that message (with its deep links), not as "already loaded". NULL for
-- the command line.
ALTER TABLE manifests ADD COLUMN chat_id INTEGER;
ALTER TABLE manifests ADD COLUMN message_id INTEGER;
CREATE UNIQUE INDEX manifests_message ON manifests(chat_id, message_id);

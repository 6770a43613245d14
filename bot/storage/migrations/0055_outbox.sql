-- The outbox: every message to someone other than the user being answered (docs/outbox.md).
-- Written in the same transaction as the change that causes it; sent by one background sender.
-- The text is rendered when the row is sent, from ``payload`` (JSON, never a readable pickup
-- code), in the recipient's language at that moment.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL,                  -- a renderer registered under this name
    payload     TEXT NOT NULL DEFAULT '{}',     -- JSON
    priority    INTEGER NOT NULL,               -- 0 receipts/alerts/cards, 1 notices, 2 reminders
    dedupe_key  TEXT,                           -- at most one pending row per key
    not_before  TEXT NOT NULL,                  -- not sent before (back-off, retry_after)
    attempts    INTEGER NOT NULL DEFAULT 0,     -- failed tries so far
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'failed', 'blocked', 'dropped')),
    error       TEXT,                           -- the last error (never the text)
    message_id  INTEGER,                        -- Telegram's, once sent
    created_at  TEXT NOT NULL,
    done_at     TEXT
);

-- The sender's look-up: due rows by priority, and each chat's oldest pending row.
CREATE INDEX outbox_pending ON outbox (priority, id) WHERE state = 'pending';
CREATE INDEX outbox_pending_chat ON outbox (chat_id, id) WHERE state = 'pending';
CREATE UNIQUE INDEX outbox_pending_key ON outbox (dedupe_key)
    WHERE state = 'pending' AND dedupe_key IS NOT NULL;
-- Admins' count of what could not be delivered.
CREATE INDEX outbox_undelivered ON outbox (done_at) WHERE state IN ('failed', 'blocked');

-- One place for messages that could not be delivered: the old table's rows move here (their
-- text was already masked where it held a code) and the table goes.
INSERT INTO outbox (chat_id, kind, payload, priority, not_before, attempts, state, error,
                    created_at, done_at)
SELECT chat_id, 'text', json_object('text', text), 0, at, 1, 'failed', error, at, at
FROM undelivered;
DROP TABLE undelivered;
-- The replies that could not be sent, under their old name (read-only): rows of kind 'text'.
CREATE VIEW undelivered AS
SELECT id, chat_id, payload ->> '$.text' AS text, error, done_at AS at
FROM outbox WHERE kind = 'text' AND state = 'failed';

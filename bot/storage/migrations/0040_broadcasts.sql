-- Admin broadcasts (SPEC §8): the notice, its audience, and one row per recipient, all written
-- before the first message goes out. A recipient row moves
--   pending -> sending -> sent | failed | blocked      (committed around each send)
--   pending -> blocked      (the user had blocked the bot already: skipped, counted)
--   pending -> cancelled    (the broadcast was stopped before this one was sent)
--   sending -> unknown      (the bot was killed while this message was on its way to Telegram;
--                            at-most-once: it is not sent again, see docs/broadcasts.md)
CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    created_by          INTEGER NOT NULL,            -- admin's Telegram user id
    created_at          TEXT NOT NULL,
    audience            TEXT NOT NULL CHECK (audience IN ('stores', 'city', 'pin', 'lang', 'customers')),
    audience_arg        TEXT NOT NULL DEFAULT '',    -- city name, PIN prefix or language code
    texts               TEXT NOT NULL,               -- JSON {"*": base HTML, "hi": ..., ...}
    status              TEXT NOT NULL CHECK (status IN ('sending', 'stopping', 'done', 'stopped')),
    total               INTEGER NOT NULL,            -- recipient rows written
    progress_chat_id    INTEGER,                     -- the admin's progress message
    progress_message_id INTEGER,
    stopped_by          INTEGER,
    finished_at         TEXT,
    -- final counts, written when the broadcast ends (live counts come from the rows)
    sent                INTEGER,
    failed              INTEGER,
    blocked             INTEGER,
    unknown             INTEGER,
    cancelled           INTEGER
);
CREATE INDEX broadcasts_status ON broadcasts(status, id);

CREATE TABLE broadcast_recipients (
    id              INTEGER PRIMARY KEY,             -- sending order
    broadcast_id    INTEGER NOT NULL REFERENCES broadcasts(id),
    user_id         INTEGER NOT NULL REFERENCES users(user_id),
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
                        ('pending', 'sending', 'sent', 'failed', 'blocked', 'cancelled', 'unknown')),
    message_id      INTEGER,                         -- Telegram's id of the delivered message
    error           TEXT,
    updated_at      TEXT,
    UNIQUE (broadcast_id, user_id)
);
-- No index on state on purpose: every send changes two states, and an index on them would cost
-- more than it saves. A broadcast's rows are written by one INSERT ... SELECT, so they are
-- contiguous in id; the sender pages through them by id (keyset), and counts go by
-- (broadcast_id, ...) through the UNIQUE index.

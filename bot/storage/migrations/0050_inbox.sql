-- Every update Telegram delivered, stored before it is acknowledged (getUpdates offset, or the
-- webhook's 200), and marked done once handled. Unfinished rows are handled first at start-up.
-- Done rows are kept a while (KIRANA_INBOX_KEEP_HOURS) so that an update Telegram delivers
-- again is recognised, then pruned.
CREATE TABLE inbox (
    update_id    INTEGER PRIMARY KEY,        -- Telegram's update_id
    chat_id      INTEGER,                    -- the chat it belongs to (ordering key); NULL if none
    payload      BLOB,                       -- the update's JSON, sealed (bot/inbox/seal.py);
                                             -- NULL once handled
    received_at  TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0, -- start-ups that found it unfinished
    started_at   TEXT,                       -- when its handling began (first time)
    flow_before  TEXT,                       -- the sender's flow_state row then (JSON; NULL =
                                             -- none): a replay starts from the same place
    done_at      TEXT,                       -- NULL until handled
    outcome      TEXT                        -- 'handled', or why it was given up
);

CREATE INDEX inbox_unfinished ON inbox (update_id) WHERE done_at IS NULL;
CREATE INDEX inbox_done_at ON inbox (done_at) WHERE done_at IS NOT NULL;

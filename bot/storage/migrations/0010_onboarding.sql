-- Store onboarding (SPEC §3).

-- The application a user is filling in: one per user, written the moment each answer arrives,
-- so a restart (or a crash) loses nothing and the user continues at the same question.
CREATE TABLE store_drafts (
    user_id          INTEGER PRIMARY KEY REFERENCES users(user_id),
    step             TEXT NOT NULL,                -- the question being asked, or 'summary'
    answers          TEXT NOT NULL DEFAULT '{}',   -- JSON {step: value}; a skipped step holds null
    editing          INTEGER NOT NULL DEFAULT 0,   -- 1: the question was opened from the summary
    revision         INTEGER NOT NULL DEFAULT 0,   -- +1 on every change; the summary's buttons
                                                   -- carry it, so an older summary cannot submit
    last_message_id  INTEGER,                      -- newest user message applied: a message that
                                                   -- Telegram delivers again is not applied twice
    started_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL                 -- last answer; 3+ days old: continue or start over
);

-- 1 when the mobile number came from the user's own shared Telegram contact (not typed).
ALTER TABLE stores ADD COLUMN mobile_verified INTEGER NOT NULL DEFAULT 0;
-- Notices still owed, cleared once sent; re-sent at start-up after a crash in between.
ALTER TABLE stores ADD COLUMN admin_notice_due INTEGER NOT NULL DEFAULT 0;  -- new application
ALTER TABLE stores ADD COLUMN owner_notice_due INTEGER NOT NULL DEFAULT 0;  -- approved / rejected

-- Where each admin was shown an application (its card with approve / reject), so that the
-- decision shows on every admin's card, not only on the one pressed.
CREATE TABLE store_application_cards (
    store_id    INTEGER NOT NULL REFERENCES stores(id),
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    PRIMARY KEY (store_id, chat_id, message_id)
);

-- At most one application waiting for a decision per user.
CREATE UNIQUE INDEX stores_one_pending ON stores(owner_user_id) WHERE status = 'pending';

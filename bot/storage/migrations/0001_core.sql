-- People who have talked to the bot, their language, and where their conversations stand.
CREATE TABLE users (
    user_id        INTEGER PRIMARY KEY,          -- Telegram user id
    chat_id        INTEGER NOT NULL,             -- private chat id (equal to user_id in practice)
    first_name     TEXT NOT NULL DEFAULT '',
    language       TEXT CHECK (language IN ('en', 'hi', 'mr')),  -- NULL until chosen
    tg_language    TEXT,                         -- Telegram's language_code, as a hint
    first_seen     TEXT NOT NULL,
    last_seen      TEXT NOT NULL,
    blocked        INTEGER NOT NULL DEFAULT 0,   -- 1 once Telegram said 403 (blocked / deactivated)
    blocked_at     TEXT
);

-- A user's place in a multi-step flow and the answers so far; written as each answer is given
-- so that a restart loses nothing.
CREATE TABLE flow_state (
    user_id     INTEGER PRIMARY KEY REFERENCES users(user_id),
    flow        TEXT NOT NULL,
    step        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',     -- JSON
    updated_at  TEXT NOT NULL
);

-- Messages that could not be delivered after retries: recorded, never lost silently.
CREATE TABLE undelivered (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    error       TEXT NOT NULL,
    at          TEXT NOT NULL
);

-- A customer's Telegram account linked to their mobile number (by sharing their own contact).
CREATE TABLE customers (
    user_id     INTEGER PRIMARY KEY REFERENCES users(user_id),
    phone       TEXT NOT NULL UNIQUE,            -- E.164
    linked_at   TEXT NOT NULL
);

-- The handover (SPEC §6): parcel screens shown to a shopkeeper, wrong-code attempts and locks.

-- One row per parcel screen: a shopkeeper typed a code and the bot showed the parcel with
-- "handed over?" buttons. The buttons carry this id; the row remembers which code hash was
-- matched (so a code voided by "new code" after the screen was shown no longer hands over),
-- the customer's other waiting parcels listed on the screen, and how the screen ended.
CREATE TABLE pickup_checks (
    id              INTEGER PRIMARY KEY,
    store_id        INTEGER NOT NULL REFERENCES stores(id),
    user_id         INTEGER NOT NULL,            -- the shopkeeper who typed the code
    parcel_id       INTEGER NOT NULL REFERENCES parcels(id),
    code_hash       TEXT NOT NULL,               -- the hash that matched when the screen was shown
    others          TEXT NOT NULL DEFAULT '[]',  -- JSON: ids of the customer's other waiting parcels
    created_at      TEXT NOT NULL,
    closed_at       TEXT,                        -- set once: handed over, cancelled or not found
    outcome         TEXT CHECK (outcome IN ('handed_over', 'all_handed_over', 'cancelled',
                                            'not_found', 'stale')),
    others_done_at  TEXT                         -- "hand the others over too" used
);

-- Wrong codes typed at a store (well-formed codes that matched no parcel there). Only the
-- moment is kept, never the digits.
CREATE TABLE pickup_attempts (
    id          INTEGER PRIMARY KEY,
    store_id    INTEGER NOT NULL REFERENCES stores(id),
    user_id     INTEGER NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX pickup_attempts_store_at ON pickup_attempts(store_id, at);

-- Code entry at a store locked after too many wrong codes; one row per lock.
CREATE TABLE pickup_locks (
    id              INTEGER PRIMARY KEY,
    store_id        INTEGER NOT NULL REFERENCES stores(id),
    locked_at       TEXT NOT NULL,
    locked_until    TEXT NOT NULL,
    admins_told_at  TEXT                         -- set once the admins were alerted
);
CREATE INDEX pickup_locks_store_until ON pickup_locks(store_id, locked_until);

-- Parcels, their history, and the payout ledger.
CREATE TABLE parcels (
    id              INTEGER PRIMARY KEY,
    tracking_id     TEXT NOT NULL UNIQUE,        -- upper-case A-Z 0-9 -
    store_id        INTEGER NOT NULL REFERENCES stores(id),
    customer_phone  TEXT NOT NULL,               -- E.164
    customer_name   TEXT,
    status          TEXT NOT NULL CHECK (status IN
                        ('expected', 'arrived', 'picked_up', 'to_return', 'returned', 'refused')),
    arrived_at      TEXT,
    last_day        TEXT,                        -- ISO date, store's local calendar
    code_hash       TEXT,                        -- keyed hash of the pickup code; never the code
    notified_at     TEXT,                        -- when the arrival notice reached the customer
    extended        INTEGER NOT NULL DEFAULT 0,  -- hold extensions used (at most 1)
    link_token      TEXT UNIQUE,                 -- deep-link token for https://t.me/<bot>?start=
    picked_up_at    TEXT,
    picked_up_by    INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX parcels_store_status ON parcels(store_id, status);
CREATE INDEX parcels_phone ON parcels(customer_phone, status);
-- A code is unique among a store's parcels waiting for pickup.
CREATE UNIQUE INDEX parcels_active_code ON parcels(store_id, code_hash)
    WHERE status = 'arrived' AND code_hash IS NOT NULL;

-- Every state change of a parcel, appended, never updated.
CREATE TABLE parcel_events (
    id          INTEGER PRIMARY KEY,
    parcel_id   INTEGER NOT NULL REFERENCES parcels(id),
    at          TEXT NOT NULL,
    event       TEXT NOT NULL,                   -- expected, arrived, refused, code_reissued, ...
    actor_id    INTEGER,                         -- Telegram user id, NULL for the system
    details     TEXT NOT NULL DEFAULT '{}'       -- JSON
);
CREATE INDEX parcel_events_parcel ON parcel_events(parcel_id, id);

-- One payout entry per parcel handed over; the UNIQUE constraint makes paying twice impossible.
CREATE TABLE earnings (
    id              INTEGER PRIMARY KEY,
    parcel_id       INTEGER NOT NULL UNIQUE REFERENCES parcels(id),
    store_id        INTEGER NOT NULL REFERENCES stores(id),
    amount_paise    INTEGER NOT NULL CHECK (amount_paise >= 0),
    at              TEXT NOT NULL
);
CREATE INDEX earnings_store_at ON earnings(store_id, at);

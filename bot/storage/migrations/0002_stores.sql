-- Partner stores. The code (KS-0001) comes from the AUTOINCREMENT id, so it is never reused.
CREATE TABLE stores (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    code            TEXT UNIQUE,                 -- set on approval
    owner_user_id   INTEGER NOT NULL REFERENCES users(user_id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
    shop_name       TEXT NOT NULL,
    owner_name      TEXT NOT NULL,
    mobile          TEXT NOT NULL,               -- E.164, +91XXXXXXXXXX
    address         TEXT NOT NULL,
    pin_code        TEXT NOT NULL,
    latitude        REAL,
    longitude       REAL,
    opens_at        TEXT NOT NULL,               -- HH:MM local time
    closes_at       TEXT NOT NULL,               -- HH:MM, 24:00 for round the clock
    capacity        INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 500),
    upi_id          TEXT,
    created_at      TEXT NOT NULL,
    decided_at      TEXT,
    decided_by      INTEGER,
    reject_reason   TEXT
);
CREATE INDEX stores_owner ON stores(owner_user_id, status);
CREATE INDEX stores_status ON stores(status);
CREATE INDEX stores_pin ON stores(pin_code);

-- Running the network (issue 12): store suspensions, monthly payouts, and indexes for /stats.

-- Every suspension and reinstatement of a store, with the admin's reason (append-only). The
-- store's own status says where it stands now; its latest row here says why.
CREATE TABLE store_status_changes (
    id          INTEGER PRIMARY KEY,
    store_id    INTEGER NOT NULL REFERENCES stores(id),
    action      TEXT NOT NULL CHECK (action IN ('suspended', 'reinstated')),
    reason      TEXT NOT NULL,
    by_user     INTEGER NOT NULL,               -- the admin's Telegram user id
    at          TEXT NOT NULL
);
CREATE INDEX store_status_changes_store ON store_status_changes(store_id, id);

-- A month marked paid out. Its bounds are the UTC instants of the month in the programme's
-- time zone when it was marked, so the triggers below need no time-zone arithmetic.
CREATE TABLE payout_months (
    month       TEXT PRIMARY KEY,               -- 'YYYY-MM'
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    parcels     INTEGER NOT NULL,               -- ledger entries of the month when marked
    paise       INTEGER NOT NULL,               -- their sum
    paid_at     TEXT NOT NULL,
    paid_by     INTEGER                         -- admin's Telegram user id; NULL from the CLI
);

-- A paid month is closed: the ledger refuses entries dated in it (docs/payouts.md). Entries are
-- written at the moment of the handover and a month can only be marked paid once it has ended,
-- so these fire only on a clock that went back or a hand-made entry; they keep the paid figures
-- true whatever happens.
CREATE TRIGGER earnings_closed_month_insert BEFORE INSERT ON earnings
WHEN EXISTS (SELECT 1 FROM payout_months WHERE NEW.at >= starts_at AND NEW.at < ends_at)
BEGIN
    SELECT RAISE(ABORT, 'payout month closed: ledger entry refused');
END;

CREATE TRIGGER earnings_closed_month_update BEFORE UPDATE ON earnings
WHEN EXISTS (SELECT 1 FROM payout_months
             WHERE (OLD.at >= starts_at AND OLD.at < ends_at)
                OR (NEW.at >= starts_at AND NEW.at < ends_at))
BEGIN
    SELECT RAISE(ABORT, 'payout month closed: ledger entry refused');
END;

CREATE TRIGGER earnings_closed_month_delete BEFORE DELETE ON earnings
WHEN EXISTS (SELECT 1 FROM payout_months WHERE OLD.at >= starts_at AND OLD.at < ends_at)
BEGIN
    SELECT RAISE(ABORT, 'payout month closed: ledger entry refused');
END;

-- One statement per store and month, written when the month's payouts are drawn up after the
-- month ended, in the same transaction as the shopkeeper's message in the outbox (kind
-- payout.statement): the primary key makes both happen once per store and month.
CREATE TABLE payout_statements (
    month       TEXT NOT NULL,                  -- 'YYYY-MM'
    store_id    INTEGER NOT NULL REFERENCES stores(id),
    parcels     INTEGER NOT NULL,
    paise       INTEGER NOT NULL,
    upi_id      TEXT,                           -- as it was when drawn up; NULL: none given
    created_at  TEXT NOT NULL,
    outbox_id   INTEGER,                        -- the shopkeeper's message
    PRIMARY KEY (month, store_id)
);

-- /stats over a million parcels (benchmarks/admin_stats.py): parcels by status scan the narrow
-- (status) index; shelves in use scan a partial index of the parcels on shelves, already in
-- store order; handovers and arrivals per day read a time range; arrival-to-handover days come
-- from the picked_up_at index without touching the table. None of them is preferred by the
-- planner over parcels_phone for the handover's look-ups (tests/unit/test_pickup_indexes.py):
-- a (status, store_id) index was, and would have scanned a store's whole history there.
CREATE INDEX parcels_status ON parcels(status);
CREATE INDEX parcels_held ON parcels(store_id, status) WHERE status IN ('arrived', 'to_return');
CREATE INDEX parcels_picked_up ON parcels(picked_up_at, arrived_at) WHERE picked_up_at IS NOT NULL;
CREATE INDEX parcels_arrived_at ON parcels(arrived_at) WHERE arrived_at IS NOT NULL;
-- Payouts of a month: every store's ledger entries in a time range.
CREATE INDEX earnings_at ON earnings(at, store_id, amount_paise);
-- /stores filters: city is read from the address text, PIN by prefix (stores_pin).

-- The filter of each admin's latest /stores list; its page buttons carry rev, so a button of an
-- older list (another filter) is a stale button rather than a page of something else.
CREATE TABLE admin_store_filters (
    user_id     INTEGER PRIMARY KEY,
    rev         INTEGER NOT NULL,
    status      TEXT,
    city        TEXT,
    pin         TEXT,
    updated_at  TEXT NOT NULL
);

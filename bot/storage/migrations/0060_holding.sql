-- The holding period (SPEC §7, issue 11): reminders, expiry, returns, the morning summary.
-- Every kind of scheduled work is found by one indexed query (docs/holding.md); none scans
-- all parcels.

-- The last day a reminder was queued for. A reminder is owed while this differs from
-- last_day, so extending the hold (a new last day) makes one reminder owed again, and never
-- a second one for the same last day.
ALTER TABLE parcels ADD COLUMN reminded_for TEXT;
-- arrived → to_return at the end of the last day (store's time zone), then returned.
ALTER TABLE parcels ADD COLUMN expired_at TEXT;
ALTER TABLE parcels ADD COLUMN returned_at TEXT;
ALTER TABLE parcels ADD COLUMN returned_by INTEGER;

-- Due reminders: waiting parcels not yet reminded for their current last day, by last day.
-- A reminded parcel leaves the index, so the sweep reads only what is owed.
CREATE INDEX parcels_reminder_due ON parcels(last_day)
    WHERE status = 'arrived' AND reminded_for IS NOT last_day;
-- Due expiries: waiting parcels by last day (the sweep reads those before today).
CREATE INDEX parcels_expiry_due ON parcels(last_day) WHERE status = 'arrived';
-- Returns: a store's parcels to give back, in the order they fell due.
CREATE INDEX parcels_to_return ON parcels(store_id, expired_at) WHERE status = 'to_return';

-- One morning summary per approved store and local day: the row is written in the same
-- transaction that queues the message (or decides there is nothing to say), so a summary is
-- considered once per day, even across restarts.
CREATE TABLE store_summaries (
    store_id    INTEGER NOT NULL REFERENCES stores(id),
    day         TEXT NOT NULL,                  -- ISO date, store's local calendar
    decided_at  TEXT NOT NULL,
    queued      INTEGER NOT NULL,               -- 1 a message was queued, 0 nothing to say
    PRIMARY KEY (store_id, day)
) WITHOUT ROWID;

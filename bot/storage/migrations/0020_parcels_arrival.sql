-- Parcels arrive (issue #4): courier manifests, and the arrival notice's delivery state.

-- One row per manifest file loaded (from the bot or the command line), for audit and to say
-- "this file was already loaded on ..." when the same bytes come again.
CREATE TABLE manifests (
    id          INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,                 -- of the file's bytes
    source      TEXT NOT NULL CHECK (source IN ('bot', 'cli')),
    loaded_by   INTEGER,                       -- admin's Telegram user id; NULL from the CLI
    loaded_at   TEXT NOT NULL,
    rows_total  INTEGER NOT NULL,              -- data rows read (blank lines not counted)
    loaded      INTEGER NOT NULL,              -- new expected parcels
    skipped     INTEGER NOT NULL,              -- already known, identical
    errors      INTEGER NOT NULL               -- rows reported and not loaded
);
CREATE INDEX manifests_sha ON manifests(sha256);

-- The manifest a parcel came from (NULL when the shopkeeper registered it at the counter).
ALTER TABLE parcels ADD COLUMN manifest_id INTEGER REFERENCES manifests(id);
CREATE INDEX parcels_manifest ON parcels(manifest_id);

-- When an arrival notice was claimed for sending (its code issued) and has not yet been
-- confirmed as delivered (notified_at). Guards against sending one notice twice when the
-- customer links from two devices at once; cleared when the send fails, so it is retried.
ALTER TABLE parcels ADD COLUMN notice_attempt_at TEXT;

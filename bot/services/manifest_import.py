"""Loading a courier manifest: its good rows become *expected* parcels, in one transaction.

Rules (SPEC §4, issue #4):

* Only admins load manifests from the bot; the command line is trusted (it has the database).
* A file that cannot be read (see :mod:`bot.services.manifest`) loads nothing.
* Each good row becomes an expected parcel at its store, with a deep-link token and an
  ``expected`` event. A row is an error when its store code names no approved store, or its
  tracking id is already recorded with another store or mobile number.
* A row whose parcel is already recorded with the same store and mobile is *skipped*: loading
  the same file twice adds nothing the second time.
* The whole load is one transaction: a crash loads nothing, never half a file.
* A file sent to the bot is loaded once per message: the same message handled again (the
  inbox's replay after a kill, ``docs/inbox.md``) adds nothing and gets the first report again
  (what that message loaded, with its deep links), not "already loaded".
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain import MessageRef
from bot.services.context import Services
from bot.services.manifest import (
    ParsedManifest,
    RejectedFile,
    RowError,
    RowProblem,
    parse_manifest,
)
from bot.storage import manifests as manifests_repo
from bot.storage import parcels as parcels_repo
from bot.storage import pickup_points

Progress = Callable[[str, int, int], None]  # (stage, done, total)
INSERT_CHUNK = 2000


def new_link_token() -> str:
    """An unguessable deep-link token: ``p_`` + 144 random bits, 26 characters of A-Za-z0-9_-."""
    return "p_" + secrets.token_urlsafe(18)


class ImportProblem(StrEnum):
    NOT_ADMIN = "not_admin"


@dataclass
class ImportReport:
    file_name: str
    rows_total: int
    loaded: int
    skipped: int
    errors: list[RowError] = field(default_factory=list)
    manifest_id: int = 0
    # When a file with the very same bytes was loaded before (None: never).
    loaded_before: datetime | None = None
    # tracking id → deep-link token, for every row of the file whose parcel is now recorded
    # (newly loaded or skipped as already there), in file order.
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        return self.loaded == 0 and self.skipped > 0


async def import_manifest(
    svc: Services,
    data: bytes,
    file_name: str,
    *,
    actor_id: int | None,
    source: str = "bot",
    progress: Progress | None = None,
    message: MessageRef | None = None,
) -> ImportReport | RejectedFile | ImportProblem:
    """Parse ``data`` and load its good rows as expected parcels (one transaction).

    ``message``: the message the file came in; handled again, it is reported as before."""
    if source == "bot" and (actor_id is None or not svc.settings.is_admin(actor_id)):
        return ImportProblem.NOT_ADMIN
    parsed = parse_manifest(data)
    if isinstance(parsed, RejectedFile):
        return parsed
    if progress:
        progress("parsed", parsed.total_rows, parsed.total_rows)
    sha = hashlib.sha256(data).hexdigest()
    replayed = (await manifests_repo.loaded_by_message(svc.db, message.key())
                if message is not None else None)
    loaded_before = await manifests_repo.first_loaded_at(svc.db, sha, before_id=replayed)
    report = await _load(svc, parsed, file_name, sha, actor_id, source, progress,
                         message, replayed)
    report.loaded_before = loaded_before
    return report


async def _load(
    svc: Services,
    parsed: ParsedManifest,
    file_name: str,
    sha: str,
    actor_id: int | None,
    source: str,
    progress: Progress | None,
    message: MessageRef | None = None,
    replayed: int | None = None,  # the manifest this message loaded when first handled
) -> ImportReport:
    now = svc.clock.now()
    errors = list(parsed.errors)
    new_rows: list[tuple[str, int, str, str | None, str]] = []
    links: list[tuple[int, str, str]] = []  # (line, tracking id, token)
    skipped = 0
    again: list[tuple[int, str, str]] = []  # rows this very message loaded before
    async with svc.db.transaction() as conn:
        stores = await pickup_points.stores_by_codes(conn, (r.store_code for r in parsed.rows))
        known = await parcels_repo.by_trackings(conn, (r.tracking_id for r in parsed.rows))
        for row in parsed.rows:
            store = stores.get(row.store_code)
            if store is None or store["status"] != "approved":
                errors.append(RowError(row.line, RowProblem.UNKNOWN_STORE, row.store_code))
                continue
            existing = known.get(row.tracking_id)
            if existing is not None and replayed is not None \
                    and existing["manifest_id"] == replayed:
                again.append((row.line, row.tracking_id, existing["link_token"]))
                continue
            if existing is not None:
                if existing["store_id"] == store["id"] and existing["customer_phone"] == row.phone:
                    skipped += 1
                    links.append((row.line, row.tracking_id, existing["link_token"]))
                else:
                    errors.append(RowError(row.line, RowProblem.CONFLICT, row.tracking_id))
                continue
            token = new_link_token()
            new_rows.append((row.tracking_id, store["id"], row.phone, row.name, token))
            links.append((row.line, row.tracking_id, token))
        errors.sort(key=lambda e: e.line)
        if replayed is not None:
            manifest_id = replayed  # its rows are in already; anything new joins it
        else:
            manifest_id = await manifests_repo.insert(
                conn, file_name=file_name, sha256=sha, source=source, loaded_by=actor_id,
                now=now, rows_total=parsed.total_rows, loaded=len(new_rows), skipped=skipped,
                errors=len(errors), message=message.key() if message is not None else None,
            )
        for start in range(0, len(new_rows), INSERT_CHUNK):
            chunk = new_rows[start : start + INSERT_CHUNK]
            await parcels_repo.insert_many_expected(conn, chunk, manifest_id, now)
            if progress:
                progress("loading", start + len(chunk), len(new_rows))
        if replayed is None:
            await parcels_repo.append_manifest_events(conn, manifest_id, actor_id, now)
        elif new_rows:  # rare: e.g. a store approved since; events for these rows only
            added = await parcels_repo.by_trackings(conn, (r[0] for r in new_rows))
            await parcels_repo.append_events(conn, [
                (r["id"], "expected", actor_id, now, {"manifest": manifest_id})
                for r in added.values()])
    links.extend(again)
    links.sort()
    return ImportReport(
        file_name=file_name,
        rows_total=parsed.total_rows,
        loaded=len(new_rows) + len(again),
        skipped=skipped,
        errors=errors,
        manifest_id=manifest_id,
        links=[(tracking, token) for _, tracking, token in links if token],
    )


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"

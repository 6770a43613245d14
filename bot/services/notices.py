"""Arrival notices: queued with the change that makes them due; the code issued when sent.

A pickup code is never stored readably, so it can be shown only in the message sent at the
moment it is issued. Hence (decision recorded in docs/parcels.md and docs/outbox.md):

* a notice is queued in the outbox (kind ``parcel.arrival_notice``, payload: the parcel id and
  the customer's account) in the same transaction as the change that makes it due: the parcel
  arriving for an already linked number, or the customer linking their number;
* queuing *claims* the notice (``notice_attempt_at``) and the outbox keeps at most one pending
  notice per parcel (``dedupe_key``), so linking from two devices never sends two;
* the code is (re)issued by :func:`issue_notice` when the outbox sender renders the message, so
  the outbox holds no code; a message repeated after a crash carries a fresh code and voids the
  earlier one;
* once sent, ``notified_at`` is set (the shopkeeper's list shows who has been told) in the
  transaction that records the outbox row sent; when it finally fails (403, retries used up),
  the claim is released and the notice is queued again the next time the customer links or
  opens /myparcels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.outbox import Outcome, Priority, enqueue
from bot.services.codes import code_key, issue_codes
from bot.services.context import Services
from bot.services.parcel_models import NOTICE_CLAIM_TIMEOUT, StoreInfo
from bot.storage import customers as customers_repo
from bot.storage import parcels as parcels_repo
from bot.storage import pickup_points

KIND = "parcel.arrival_notice"


@dataclass(frozen=True)
class Notice:
    """One arrival notice to send now. ``code`` is shown once and never kept."""

    parcel_id: int
    tracking_id: str
    user_id: int
    customer_name: str | None
    code: str
    last_day: date
    store: StoreInfo

    def __repr__(self) -> str:  # keep the code out of logs and tracebacks
        return f"Notice(parcel_id={self.parcel_id}, tracking_id={self.tracking_id!r})"


async def enqueue_notices(conn: aiosqlite.Connection, phone: str, now: datetime) -> int:
    """Inside the caller's transaction: queue every arrival notice now due to the customer of
    ``phone``; returns how many. None when no Telegram account is linked to the number (the
    notices wait for the link)."""
    user_id = await customers_repo.user_of_phone(conn, phone)
    if user_id is None:
        return 0
    queued = 0
    for row in await parcels_repo.unnotified_for_phone(conn, phone, now - NOTICE_CLAIM_TIMEOUT):
        await parcels_repo.claim_notice(conn, row["id"], now)
        await enqueue(conn, user_id, KIND, {"parcel_id": row["id"], "user_id": user_id},
                      now=now, priority=Priority.NOTICE, dedupe_key=f"notice:{row['id']}")
        queued += 1
    return queued


async def queue_notices(svc: Services, phone: str) -> int:
    """Queue the notices waiting for ``phone`` (e.g. when the customer opens /myparcels)."""
    async with svc.db.transaction() as conn:
        return await enqueue_notices(conn, phone, svc.clock.now())


async def issue_notice(svc: Services, parcel_id: int, user_id: int) -> Notice | None:
    """At send time: issue the parcel's code and return the notice to show, or None when it is
    no longer due (collected, refused, already told, or the number now belongs to someone
    else)."""
    return (await issue_notices(svc, [(parcel_id, user_id)]))[0]


async def issue_notices(
    svc: Services, wanted: list[tuple[int, int]]
) -> list[Notice | None]:
    """Issue the codes of many notices, (parcel_id, user_id) each, in one transaction (the
    outbox sender renders notices in groups): the answers in the same order, each as
    :func:`issue_notice` describes."""
    if not wanted:
        return []
    now = svc.clock.now()
    key = code_key(svc.settings)
    out: list[Notice | None] = []
    async with svc.db.transaction() as conn:
        parcels = await parcels_repo.by_ids_with_owner(conn, [p for p, _ in wanted])
        stores = {r["id"]: StoreInfo.from_row(r) for r in await pickup_points.stores_by_ids(
            conn, [r["store_id"] for r in parcels.values()])}
        issued: dict[int, int] = {}        # parcel id → its place in ``out``
        for parcel_id, user_id in wanted:
            row = parcels.get(parcel_id)
            if (row is None or row["status"] != "arrived" or row["notified_at"] is not None
                    or parcel_id in issued):
                out.append(None)
                continue
            if row["owner"] != user_id:
                await parcels_repo.release_notice(conn, parcel_id)
                out.append(None)
                continue
            issued[parcel_id] = len(out)
            out.append(None)
        if issued:
            codes = await issue_codes(
                conn, key, [(parcels[p]["store_id"], p) for p in issued], now)
            for (parcel_id, place), code in zip(issued.items(), codes, strict=True):
                row = parcels[parcel_id]
                out[place] = Notice(
                    parcel_id=parcel_id, tracking_id=row["tracking_id"], user_id=row["owner"],
                    customer_name=row["customer_name"], code=code,
                    last_day=date.fromisoformat(row["last_day"]), store=stores[row["store_id"]],
                )
            await parcels_repo.append_events(
                conn, [(p, "code_issued", None, now, {"for": "arrival_notice"}) for p in issued])
    return out


async def notice_sent(conn: aiosqlite.Connection, sent: Outcome) -> None:
    """Outbox hook: the notice reached the customer."""
    parcel_id = sent.payload["parcel_id"]
    await parcels_repo.mark_notified(conn, parcel_id, sent.now)
    await parcels_repo.append_event(
        conn, parcel_id, "notified", None, sent.now, {"user_id": sent.chat_id})


async def notices_sent(conn: aiosqlite.Connection, sent: list[Outcome]) -> None:
    """Outbox hook for a group of notices that reached their customers (what
    :func:`notice_sent` does for one, in two statements for the whole group)."""
    await parcels_repo.mark_many_notified(
        conn, [(s.payload["parcel_id"], s.now) for s in sent])
    await parcels_repo.append_events(
        conn, [(s.payload["parcel_id"], "notified", None, s.now, {"user_id": s.chat_id})
               for s in sent])


async def notice_failed(conn: aiosqlite.Connection, failed: Outcome) -> None:
    """Outbox hook: the notice could not be delivered; queue it again when they come back."""
    parcel_id = failed.payload["parcel_id"]
    await parcels_repo.release_notice(conn, parcel_id)
    await parcels_repo.append_event(
        conn, parcel_id, "notice_failed", None, failed.now,
        {"user_id": failed.chat_id, "error": failed.error[:200]})

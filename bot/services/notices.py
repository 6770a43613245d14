"""Arrival notices: the code is issued when, and only when, a notice is about to be sent.

A pickup code is never stored readably, so it can be shown only in the message sent at the
moment it is issued. Hence (decision recorded in docs/parcels.md):

* a parcel's code is (re)issued at the moment its arrival notice is sent: at arrival when the
  customer's mobile is already linked, otherwise the moment they link;
* a notice is *claimed* (``notice_attempt_at``) in the same transaction that issues its code,
  so two concurrent attempts (the customer links from two devices) never both send one;
* once sent, ``notified_at`` is set (the shopkeeper's list shows who has been told); when the
  send fails, the claim is released and the notice is tried again the next time the customer
  links or opens /myparcels — with a new code, the unsent one having never been seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.services.codes import code_key, issue_code
from bot.services.context import Services
from bot.services.parcel_models import NOTICE_CLAIM_TIMEOUT, StoreInfo
from bot.storage import customers as customers_repo
from bot.storage import parcels as parcels_repo
from bot.storage import pickup_points


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


async def claim_notices(svc: Services, phone: str) -> list[Notice]:
    """Issue codes for, and claim, every arrival notice waiting for the customer of ``phone``.

    Nothing when no Telegram account is linked to the number (the notices keep waiting).
    """
    now = svc.clock.now()
    key = code_key(svc.settings)
    notices: list[Notice] = []
    async with svc.db.transaction() as conn:
        user_id = await customers_repo.user_of_phone(conn, phone)
        if user_id is None:
            return []
        stores: dict[int, StoreInfo] = {}
        for row in await parcels_repo.unnotified_for_phone(conn, phone, now - NOTICE_CLAIM_TIMEOUT):
            store_id = row["store_id"]
            if store_id not in stores:
                store_row = await pickup_points.store_by_id(conn, store_id)
                assert store_row is not None
                stores[store_id] = StoreInfo.from_row(store_row)
            code = await issue_code(conn, key, store_id, row["id"], now)
            await parcels_repo.claim_notice(conn, row["id"], now)
            await parcels_repo.append_event(
                conn, row["id"], "code_issued", None, now, {"for": "arrival_notice"})
            notices.append(Notice(
                parcel_id=row["id"], tracking_id=row["tracking_id"], user_id=user_id,
                customer_name=row["customer_name"], code=code,
                last_day=date.fromisoformat(row["last_day"]), store=stores[store_id],
            ))
    return notices


async def notice_delivered(svc: Services, notice: Notice) -> None:
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        await parcels_repo.mark_notified(conn, notice.parcel_id, now)
        await parcels_repo.append_event(
            conn, notice.parcel_id, "notified", None, now, {"user_id": notice.user_id})


async def notice_failed(svc: Services, notice: Notice, error: str) -> None:
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        await parcels_repo.release_notice(conn, notice.parcel_id)
        await parcels_repo.append_event(
            conn, notice.parcel_id, "notice_failed", None, now,
            {"user_id": notice.user_id, "error": error[:200]})

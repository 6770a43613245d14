"""``/track TRACKING_ID`` (SPEC §9): a parcel's whole history, each event with who and when.

Rules:
* Admins only (:class:`NotAdmin`), checked here.
* Every event of ``parcel_events``, oldest first — not only the latest few (``/parcel`` shows
  those with the parcel's details).
* *Who* is named by role, never by a bare Telegram id when we know better: the system (no
  actor), an admin (``KIRANA_ADMIN_IDS``), the shop (the owner of the parcel's store, shown by
  its store code), the customer (the Telegram account linked to the parcel's mobile number), or
  else the user id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from bot.clock import from_db
from bot.services.context import Services
from bot.services.parcel_models import ParcelEvent, ParcelInfo
from bot.services.stats import reader
from bot.validation import Invalid, TrackingError, parse_tracking_id


class Actor(StrEnum):
    SYSTEM = "system"
    ADMIN = "admin"
    STORE = "store"
    CUSTOMER = "customer"
    OTHER = "other"


class TrackProblem(StrEnum):
    NOT_ADMIN = "not_admin"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class TrackedEvent:
    event: ParcelEvent
    actor: Actor
    store_code: str = ""      # for Actor.STORE


@dataclass(frozen=True)
class Track:
    parcel: ParcelInfo
    store_code: str
    store_name: str
    events: list[TrackedEvent]


async def track(svc: Services, user_id: int, text: str) -> Track | TrackProblem | TrackingError:
    """The parcel with tracking id ``text`` and every event of it, for admins."""
    if not svc.settings.is_admin(user_id):
        return TrackProblem.NOT_ADMIN
    parsed = parse_tracking_id(text)
    if isinstance(parsed, Invalid):
        return parsed.reason
    async with reader(svc).snapshot() as conn:
        cur = await conn.execute(
            "SELECT p.*, s.code AS s_code, s.shop_name AS s_name, s.owner_user_id AS s_owner "
            "FROM parcels p JOIN stores s ON s.id = p.store_id WHERE p.tracking_id = ?",
            (parsed.value,))
        row = await cur.fetchone()
        if row is None:
            return TrackProblem.NOT_FOUND
        cur = await conn.execute(
            "SELECT * FROM parcel_events WHERE parcel_id = ? ORDER BY id", (row["id"],))
        events = list(await cur.fetchall())
        cur = await conn.execute(
            "SELECT user_id FROM customers WHERE phone = ?", (row["customer_phone"],))
        customer = await cur.fetchone()
        actor_ids = sorted({e["actor_id"] for e in events if e["actor_id"] is not None})
        cur = await conn.execute(
            "SELECT owner_user_id, MIN(code) AS code FROM stores WHERE code IS NOT NULL AND "
            "owner_user_id IN (SELECT value FROM json_each(?)) GROUP BY owner_user_id",
            (json.dumps(actor_ids),))
        shop_of = {r["owner_user_id"]: r["code"] for r in await cur.fetchall()}
    customer_id = customer["user_id"] if customer else None

    def tracked(e) -> TrackedEvent:  # noqa: ANN001 - a database row
        event = ParcelEvent(from_db(e["at"]), e["event"], e["actor_id"], json.loads(e["details"]))
        actor_id = e["actor_id"]
        if actor_id is None:
            return TrackedEvent(event, Actor.SYSTEM)
        if actor_id == row["s_owner"]:
            return TrackedEvent(event, Actor.STORE, row["s_code"] or "")
        if svc.settings.is_admin(actor_id):
            return TrackedEvent(event, Actor.ADMIN)
        if actor_id == customer_id:
            return TrackedEvent(event, Actor.CUSTOMER)
        if actor_id in shop_of:
            return TrackedEvent(event, Actor.STORE, shop_of[actor_id])
        return TrackedEvent(event, Actor.OTHER)

    return Track(ParcelInfo.from_row(row), row["s_code"] or "", row["s_name"],
                 [tracked(e) for e in events])

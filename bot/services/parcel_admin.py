"""An admin's look at one parcel: details, status, store, deep link token, history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from bot.clock import from_db
from bot.services.context import Services
from bot.services.parcel_models import ParcelEvent, ParcelInfo, StoreInfo
from bot.storage import parcels as parcels_repo
from bot.storage import pickup_points
from bot.validation import Invalid, TrackingError, parse_tracking_id

EVENTS_SHOWN = 15


class LookupProblem(StrEnum):
    NOT_ADMIN = "not_admin"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ParcelDetails:
    parcel: ParcelInfo
    store: StoreInfo
    events: list[ParcelEvent]
    events_total: int


async def parcel_details(
    svc: Services, user_id: int, text: str
) -> ParcelDetails | LookupProblem | TrackingError:
    """The parcel with tracking id ``text``, for admins only."""
    if not svc.settings.is_admin(user_id):
        return LookupProblem.NOT_ADMIN
    parsed = parse_tracking_id(text)
    if isinstance(parsed, Invalid):
        return parsed.reason
    row = await parcels_repo.by_tracking(svc.db, parsed.value)
    if row is None:
        return LookupProblem.NOT_FOUND
    store_row = await pickup_points.store_by_id(svc.db, row["store_id"])
    assert store_row is not None
    events = [
        ParcelEvent(from_db(e["at"]), e["event"], e["actor_id"], json.loads(e["details"]))
        for e in await parcels_repo.events_of(svc.db, row["id"], EVENTS_SHOWN)
    ]
    total = await parcels_repo.count_events(svc.db, row["id"])
    return ParcelDetails(ParcelInfo.from_row(row), StoreInfo.from_row(store_row), events, total)

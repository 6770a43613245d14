"""Plain values for parcels and the stores they wait at, as the services hand them out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.clock import from_db
from bot.storage.db import Row

# How long an arrival notice that was claimed for sending may stay unconfirmed before another
# attempt may claim it again (the first sender crashed between claiming and sending).
NOTICE_CLAIM_TIMEOUT = timedelta(minutes=10)
EXTEND_DAYS = 3


class ParcelStatus(StrEnum):
    EXPECTED = "expected"
    ARRIVED = "arrived"
    PICKED_UP = "picked_up"
    TO_RETURN = "to_return"
    RETURNED = "returned"
    REFUSED = "refused"


# Parcels that take a place on the store's shelf (count against its capacity).
HELD_STATUSES = (ParcelStatus.ARRIVED, ParcelStatus.TO_RETURN)
# Parcels a customer still has something to do with.
ACTIVE_STATUSES = (ParcelStatus.EXPECTED, ParcelStatus.ARRIVED, ParcelStatus.TO_RETURN)


@dataclass(frozen=True)
class StoreInfo:
    id: int
    code: str
    name: str
    address: str
    pin_code: str
    opens_at: str          # HH:MM
    closes_at: str         # HH:MM, 24:00 for midnight
    latitude: float | None
    longitude: float | None
    capacity: int
    owner_user_id: int

    @property
    def all_day(self) -> bool:
        return self.opens_at == "00:00" and self.closes_at == "24:00"

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @classmethod
    def from_row(cls, row: Row) -> StoreInfo:
        return cls(
            id=row["id"], code=row["code"] or "", name=row["shop_name"], address=row["address"],
            pin_code=row["pin_code"], opens_at=row["opens_at"], closes_at=row["closes_at"],
            latitude=row["latitude"], longitude=row["longitude"], capacity=row["capacity"],
            owner_user_id=row["owner_user_id"],
        )


@dataclass(frozen=True)
class ParcelInfo:
    id: int
    tracking_id: str
    store_id: int
    phone: str
    name: str | None
    status: ParcelStatus
    arrived_at: datetime | None
    last_day: date | None
    notified_at: datetime | None
    extended: int
    link_token: str | None
    created_at: datetime

    @property
    def told(self) -> bool:
        return self.notified_at is not None

    @classmethod
    def from_row(cls, row: Row) -> ParcelInfo:
        return cls(
            id=row["id"], tracking_id=row["tracking_id"], store_id=row["store_id"],
            phone=row["customer_phone"], name=row["customer_name"],
            status=ParcelStatus(row["status"]),
            arrived_at=from_db(row["arrived_at"]) if row["arrived_at"] else None,
            last_day=date.fromisoformat(row["last_day"]) if row["last_day"] else None,
            notified_at=from_db(row["notified_at"]) if row["notified_at"] else None,
            extended=row["extended"], link_token=row["link_token"],
            created_at=from_db(row["created_at"]),
        )


@dataclass(frozen=True)
class ParcelEvent:
    at: datetime
    event: str
    actor_id: int | None
    details: dict


def last_day_for(arrived: datetime, hold_days: int, tz) -> date:  # noqa: ANN001 - tzinfo
    """The last day to collect: the arrival's calendar date in the store's time zone + hold days.

    The parcel may be collected until the end of that day (local time).
    """
    return arrived.astimezone(tz).date() + timedelta(days=hold_days)

"""What the codes read from photos mean: tracking ids to receive, pickup codes, other codes.

Rules (issue #16, SPEC §12):

* A tracking id is a code of a label symbology (Code 128, Code 39, QR, Data Matrix, …) whose
  text is a valid tracking id (SPEC §4). Anything else — a product's EAN, a URL, a customer's
  pickup-code QR — is an *other code*: counted, never received.
* Before anything is recorded the shopkeeper sees each id marked: *expected* (this store's,
  on its way), *unknown* (in no manifest: the customer's mobile will be asked), *other store*,
  *already here* (arrived earlier), *finished* (handed over, returned or refused). Looking
  changes nothing; *receive* then goes through :func:`bot.services.arrival.receive`, the path
  of typed ids, with every arrival rule (capacity, other store, notices).
* A scanned pickup code goes through :func:`bot.services.pickup.look_up_code` like a typed one
  (same lockout). A photo with several different pickup codes is not guessed from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.scan.decode import Code
from bot.services.arrival import MAX_IDS_PER_MESSAGE, NotAllowed, store_of
from bot.services.context import Services
from bot.services.parcel_models import ParcelStatus, StoreInfo
from bot.storage import parcels as parcels_repo
from bot.validation import Invalid, parse_pickup_code, parse_tracking_id

# Ids kept for one "receive these" list (several photos add up).
MAX_IDS = MAX_IDS_PER_MESSAGE


@dataclass(frozen=True)
class SortedCodes:
    ids: list[str]          # distinct tracking ids, in the order read
    other_codes: int        # codes that are not tracking ids


def sort_codes(codes: Iterable[Code]) -> SortedCodes:
    ids: list[str] = []
    others: set[str] = set()
    for code in codes:
        parsed = parse_tracking_id(code.text) if code.label_symbology else None
        if parsed is None or isinstance(parsed, Invalid):
            others.add(code.text)
        elif parsed.value not in ids:
            ids.append(parsed.value)
    return SortedCodes(ids, len(others))


def pickup_codes(codes: Iterable[Code]) -> list[str]:
    """The distinct pickup codes among the codes (a QR the customer shows)."""
    found: list[str] = []
    for code in codes:
        if not code.label_symbology:
            continue
        parsed = parse_pickup_code(code.text)
        if not isinstance(parsed, Invalid) and parsed.value not in found:
            found.append(parsed.value)
    return found


class Mark(StrEnum):
    EXPECTED = "expected"
    UNKNOWN = "unknown"
    OTHER_STORE = "other_store"
    ALREADY_HERE = "already_here"
    FINISHED = "finished"


RECEIVABLE = (Mark.EXPECTED, Mark.UNKNOWN)


@dataclass
class Preview:
    store: StoreInfo
    marks: list[tuple[str, Mark]] = field(default_factory=list)

    def ids(self, mark: Mark) -> list[str]:
        return [tracking for tracking, m in self.marks if m is mark]

    @property
    def receivable(self) -> list[str]:
        return [tracking for tracking, m in self.marks if m in RECEIVABLE]


async def preview(svc: Services, user_id: int, ids: list[str]) -> Preview | NotAllowed:
    """Mark each scanned id for the user's store (read only: nothing is recorded)."""
    store = await store_of(svc, user_id)
    if store is None:
        return NotAllowed.NOT_SHOPKEEPER
    async with svc.db.transaction() as conn:
        known = await parcels_repo.by_trackings(conn, ids)
    result = Preview(store)
    for tracking in ids:
        row = known.get(tracking)
        if row is None:
            mark = Mark.UNKNOWN
        elif row["store_id"] != store.id:
            mark = Mark.OTHER_STORE
        elif row["status"] == ParcelStatus.EXPECTED:
            mark = Mark.EXPECTED
        elif row["status"] == ParcelStatus.ARRIVED:
            mark = Mark.ALREADY_HERE
        else:
            mark = Mark.FINISHED
        result.marks.append((tracking, mark))
    return result


def merge_ids(kept: list[str], new: list[str]) -> tuple[list[str], int]:
    """Ids of an earlier photo plus a new one's, each once, at most MAX_IDS; (ids, dropped)."""
    merged = list(kept)
    dropped = 0
    for tracking in new:
        if tracking in merged:
            continue
        if len(merged) >= MAX_IDS:
            dropped += 1
            continue
        merged.append(tracking)
    return merged, dropped

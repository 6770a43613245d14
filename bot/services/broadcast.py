"""Broadcast rules (SPEC §8): admins only, the draft's texts, creating and stopping a broadcast.

A draft holds a base text (for everyone) and optional versions for English, Hindi and Marathi
readers; each recipient gets the version in their language, else the base text. Creating a
broadcast writes it and all its recipient rows at once (see ``bot.storage.broadcasts``); the
sender (``bot.jobs.broadcast_sender``) delivers them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.clock import from_db
from bot.i18n import LANGUAGES
from bot.services.audiences import Audience, AudienceCount, count
from bot.services.context import Services
from bot.storage import broadcasts as repo

BASE = "*"
# Telegram allows 4096 characters; the notice gets a one-line header and the admin's preview
# one more line, so the text itself is kept well below.
MAX_TEXT_LENGTH = 3500


class TextProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


def check_text(plain: str) -> TextProblem | None:
    """``plain``: the text as the admin typed it (without formatting markup)."""
    if not plain.strip():
        return TextProblem.EMPTY
    if len(plain) > MAX_TEXT_LENGTH:
        return TextProblem.TOO_LONG
    return None


def new_draft_token() -> str:
    return secrets.token_hex(4)


def text_for(texts: dict[str, str], lang: str) -> str:
    """The version for ``lang``, falling back to the base text."""
    return texts.get(lang) or texts[BASE]


def clean_texts(texts: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in texts.items() if (k == BASE or k in LANGUAGES) and v}


def may_broadcast(svc: Services, user_id: int) -> bool:
    """Only programme admins compose, send, stop and list broadcasts."""
    return svc.settings.is_admin(user_id)


class Refusal(StrEnum):
    NOT_ALLOWED = "not_allowed"
    EXPIRED = "expired"
    NOBODY = "nobody"


@dataclass(frozen=True)
class Created:
    broadcast_id: int
    total: int
    skipped_blocked: int
    waits_for: int | None = None  # an earlier broadcast still sending; this one comes next


async def preview(svc: Services, admin_id: int, audience: Audience) -> AudienceCount | Refusal:
    if not may_broadcast(svc, admin_id):
        return Refusal.NOT_ALLOWED
    return await count(svc, audience)


async def create(
    svc: Services,
    *,
    admin_id: int,
    draft: str,
    texts: dict[str, str],
    audience: Audience,
    progress_chat_id: int | None,
    progress_message_id: int | None,
) -> Created | Refusal:
    """Write the broadcast and its recipients, consuming the admin's draft (once)."""
    if not may_broadcast(svc, admin_id):
        return Refusal.NOT_ALLOWED
    texts = clean_texts(texts)
    if BASE not in texts:
        return Refusal.EXPIRED
    counted = await count(svc, audience)
    if counted.total == 0:
        return Refusal.NOBODY
    made = await repo.create(
        svc.db,
        repo.NewBroadcast(
            created_by=admin_id,
            kind=audience.kind.value,
            arg=audience.arg,
            texts=texts,
            progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id,
        ),
        svc.clock.now(),
        draft_owner=admin_id,
        draft=draft,
    )
    if made is None:
        return Refusal.EXPIRED
    broadcast_id, total = made
    final = await repo.counts(svc.db, broadcast_id)
    active = await repo.next_active(svc.db)
    waits_for = active["id"] if active is not None and active["id"] != broadcast_id else None
    return Created(broadcast_id, total, final.get("blocked", 0), waits_for)


class StopResult(StrEnum):
    STOPPING = "stopping"
    NOT_ALLOWED = "not_allowed"
    FINISHED = "finished"
    NOT_FOUND = "not_found"


async def request_stop(svc: Services, admin_id: int, broadcast_id: int) -> StopResult:
    if not may_broadcast(svc, admin_id):
        return StopResult.NOT_ALLOWED
    row = await repo.get(svc.db, broadcast_id)
    if row is None:
        return StopResult.NOT_FOUND
    if row["status"] == "stopping":
        return StopResult.STOPPING
    if not await repo.request_stop(svc.db, broadcast_id, admin_id):
        return StopResult.FINISHED
    return StopResult.STOPPING


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    unknown: int = 0
    cancelled: int = 0
    left: int = 0

    @classmethod
    def of(cls, states: dict[str, int]) -> Counts:
        return cls(
            sent=states.get("sent", 0),
            failed=states.get("failed", 0),
            blocked=states.get("blocked", 0),
            unknown=states.get("unknown", 0),
            cancelled=states.get("cancelled", 0),
            left=states.get("pending", 0) + states.get("sending", 0),
        )

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.blocked + self.unknown + self.cancelled + self.left


@dataclass(frozen=True)
class Summary:
    broadcast_id: int
    created_at: datetime
    created_by: int
    audience: Audience | None
    status: str
    total: int
    counts: Counts


async def summary(svc: Services, broadcast_id: int) -> Summary | None:
    row = await repo.get(svc.db, broadcast_id)
    return None if row is None else await _summary(svc, row)


async def _summary(svc: Services, row) -> Summary:  # noqa: ANN001 - a storage Row
    if row["status"] in ("done", "stopped") and row["sent"] is not None:
        counts = Counts(sent=row["sent"], failed=row["failed"], blocked=row["blocked"],
                        unknown=row["unknown"], cancelled=row["cancelled"])
    else:
        counts = Counts.of(await repo.counts(svc.db, row["id"]))
    return Summary(
        broadcast_id=row["id"],
        created_at=from_db(row["created_at"]),
        created_by=row["created_by"],
        audience=Audience.parse(row["audience"], row["audience_arg"]),
        status=row["status"],
        total=row["total"],
        counts=counts,
    )


async def recent(svc: Services, admin_id: int, limit: int = 10) -> list[Summary] | Refusal:
    if not may_broadcast(svc, admin_id):
        return Refusal.NOT_ALLOWED
    return [await _summary(svc, row) for row in await repo.recent(svc.db, limit)]

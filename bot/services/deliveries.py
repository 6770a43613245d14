"""What admins learn about messages to others (the outbox): waiting, and not delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.outbox import store
from bot.services.context import Services

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class DeliverySummary:
    waiting: int       # not sent yet (due, or waiting out a back-off)
    blocked: int       # in the last WINDOW: the recipient blocked the bot (403)
    failed: int        # in the last WINDOW: refused (400) or retries used up


async def summary(svc: Services, user_id: int) -> DeliverySummary | None:
    """Admins only (None for anyone else)."""
    if not svc.settings.is_admin(user_id):
        return None
    lost = await store.undelivered_by_state(svc.db, svc.clock.now() - WINDOW)
    return DeliverySummary(await store.waiting_count(svc.db), lost.get("blocked", 0),
                           lost.get("failed", 0))

"""The outbox: every message to someone other than the user being answered (docs/outbox.md).

    # in a service, inside the transaction that makes the change:
    async with svc.db.transaction() as conn:
        ...  # the change
        await outbox.enqueue(conn, chat_id, "pickup.receipt", {"parcel_id": 7},
                             now=now, priority=outbox.Priority.URGENT)

    # in the feature's handler module, at import time:
    @outbox.renderer("pickup.receipt")
    async def render_receipt(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage | None:
        return outbox.OutMessage(ctx.t.gettext("...").format(...))
"""

from bot.outbox.renderers import Outcome, OutMessage, RenderContext, register, renderer
from bot.outbox.store import Priority, enqueue, enqueue_batch, enqueue_many

__all__ = [
    "OutMessage", "Outcome", "Priority", "RenderContext", "enqueue", "enqueue_batch",
    "enqueue_many", "register", "renderer",
]

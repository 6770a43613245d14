"""What each kind of outbox message says: one renderer per kind, registered by its feature.

A renderer runs when the row is about to be sent, with the recipient's language at that moment,
and returns the message, or None when there is nothing to say any more (the row is "dropped").
It may read the database (``ctx.svc``) and may write in its own transaction (an arrival notice
issues the pickup code here, so no readable code ever sits in the outbox).

Optional hooks run in the same transaction that records the outcome, with an :class:`Outcome`:
``on_sent`` (e.g. mark a parcel "notified", keep the message id of an admin's card) and
``on_failed`` (403 or a final failure, e.g. release the notice so it is tried again when the
customer comes back).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from bot.i18n import Translator
from bot.services.context import Services


@dataclass(frozen=True, slots=True)
class OutMessage:
    """One Telegram message (HTML). ``reply_markup`` is any PTB markup object."""

    text: str
    reply_markup: Any = None
    link_preview: bool = False


@dataclass(frozen=True, slots=True)
class RenderContext:
    svc: Services
    chat_id: int
    t: Translator
    row_id: int

    @property
    def lang(self) -> str:
        return self.t.lang


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a hook learns: to whom, the row's payload, when, and the message id (sent) or the
    error (failed)."""

    chat_id: int
    payload: dict[str, Any]
    now: datetime
    message_id: int | None = None
    error: str = ""


Render = Callable[[RenderContext, dict[str, Any]], Awaitable[OutMessage | None]]
# Many rows of one kind at once (one transaction instead of one per row): the same answers, in
# the same order, as ``render`` called on each.
RenderMany = Callable[[list[RenderContext], list[dict[str, Any]]], Awaitable[list[OutMessage | None]]]
Hook = Callable[[aiosqlite.Connection, Outcome], Awaitable[None]]
OnSent = Hook
OnFailed = Hook
# The same hook for many rows at once (the sender records outcomes in groups): optional, for
# kinds sent by the thousand (arrival notices), where one statement per group beats one per row.
ManyHook = Callable[[aiosqlite.Connection, list[Outcome]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    render: Render
    on_sent: OnSent | None = None
    on_failed: OnFailed | None = None
    on_sent_many: ManyHook | None = None
    on_failed_many: ManyHook | None = None
    render_many: RenderMany | None = None

    @property
    def has_hooks(self) -> bool:
        return any((self.on_sent, self.on_failed, self.on_sent_many, self.on_failed_many))


@dataclass
class Registry:
    kinds: dict[str, Kind] = field(default_factory=dict)

    def get(self, name: str) -> Kind | None:
        return self.kinds.get(name)


REGISTRY = Registry()


def register(
    kind: str,
    render: Render,
    *,
    on_sent: OnSent | None = None,
    on_failed: OnFailed | None = None,
    on_sent_many: ManyHook | None = None,
    on_failed_many: ManyHook | None = None,
    render_many: RenderMany | None = None,
) -> None:
    """Register the renderer of ``kind`` (at import time of the feature's handler module).

    ``on_sent_many`` / ``on_failed_many``, when given, are called once per group of outcomes
    instead of ``on_sent`` / ``on_failed`` once per row (same transaction, same meaning);
    ``render_many``, when given, renders the rows the sender starts together in one call.
    Registering the same kind again replaces it (module reloads in tests)."""
    REGISTRY.kinds[kind] = Kind(kind, render, on_sent, on_failed, on_sent_many, on_failed_many,
                                render_many)


def renderer(
    kind: str, *, on_sent: OnSent | None = None, on_failed: OnFailed | None = None,
    on_sent_many: ManyHook | None = None, on_failed_many: ManyHook | None = None,
    render_many: RenderMany | None = None,
) -> Callable[[Render], Render]:
    """Decorator form of :func:`register`."""

    def wrap(fn: Render) -> Render:
        register(kind, fn, on_sent=on_sent, on_failed=on_failed, on_sent_many=on_sent_many,
                 on_failed_many=on_failed_many, render_many=render_many)
        return fn

    return wrap


async def _render_text(ctx: RenderContext, payload: dict[str, Any]) -> OutMessage | None:
    # Only failed replies recorded by users.record_undelivered carry a text; never sent again.
    return None


register("text", _render_text)

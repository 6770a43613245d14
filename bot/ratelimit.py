"""The one rate limiter for everything the bot sends to Telegram (PTB ``BaseRateLimiter``).

Telegram's limits: about 30 messages per second overall, and about one message per second to
one chat. PTB's ``AIORateLimiter`` (checked in 22.8) lets 30 go at once and then 30 more in the
same second, releases everything queued in one burst after a pause, never spaces messages to one
private chat, and halts *all* requests on one ``RetryAfter``. This one:

* **Window** — at most ``per_second`` message requests (``send*``, ``copy*``, ``forward*``,
  ``edit*``) in ANY sliding window of ``window`` seconds, measured where Telegram measures it: a
  request holds one of ``per_second`` slots from the moment it is released until ``window``
  seconds after its answer came back. Telegram saw the request between those two moments, so
  two requests using the same slot are always at least ``window`` apart at Telegram, whatever
  the network latency. No initial burst beyond the limit, ever.
* **Smooth bulk** — bulk traffic (:data:`Priority.BULK`: the outbox, broadcasts) is also paced
  by an ``aiolimiter`` leaky bucket with room for only a few requests, so it flows evenly
  instead of in bursts of ``per_second`` after each pause (a burst would fill the window and
  leave a reply typed just after it waiting up to ``window``). The bucket runs at
  ``bulk_pace`` (1.25) × ``per_second``: it only smooths, the window is the limit. A bucket at
  exactly the limit could never take back a slot the window freed while the bulk lane was late
  (the loop busy, replies bunched): every such moment was a send lost for good (issue #10, the
  morning wave: ≈ 2–3 sends of 160; benchmarks/README.md).
* **Priority** — interactive requests (the default: replies, ``answerCallbackQuery``, edits of
  an admin's progress message) take the next free slot before any bulk request.
* **Per chat** — a bulk message goes to a chat only ``per_chat_seconds`` after the previous
  message to that chat was answered, and never while another is in flight to it. Interactive
  replies are not spaced among themselves (a person who just wrote expects the answer at once,
  and Telegram allows short bursts in a private chat), but they do wait for a broadcast message
  just sent to the same chat.
* **429** — ``RetryAfter`` holds only *that chat* for ``retry_after`` seconds, and the request is
  retried (it keeps its place in the queue); other chats go on. Interactive requests are retried
  here (up to ``max_retries``); a bulk sender may ask to get the ``RetryAfter`` back instead
  (``RateLimitArgs(retry_429=False)``) so it can re-queue the message without holding a worker.
  Only when many bulk requests in a row are refused (a real flood wait) does the bulk lane pause;
  interactive traffic never pauses for someone else's 429.

Use ``rate_limit_args=RateLimitArgs(priority=Priority.BULK, ...)`` on a bot method for bulk
sends; anything else is interactive. Requests that are not messages (``answerCallbackQuery``,
``getFile``, ``setMyCommands`` ...) are not counted or delayed. The bot talks in private chats
only; group chats (20 messages per minute) are not specially handled.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

INF = float("inf")
# Bulk pacing (the leaky bucket) relative to the window's limit: above 1 so that the bulk lane
# can take back window slots that came free while it was late; low enough that it stays smooth
# (a slot comes free at least every 1 / (1.25 × per_second) s for a reply). Measured in
# benchmarks/README.md ("The outbox: morning wave"): 1.5 and 2 gave replies 0.4–0.5 s waits.
BULK_PACE = 1.25
_MESSAGE_PREFIXES = ("send", "copy", "forward", "edit")
_NEW_MESSAGE_PREFIXES = ("send", "copy", "forward")


class Priority(IntEnum):
    INTERACTIVE = 0
    BULK = 1


@dataclass(frozen=True, slots=True)
class RateLimitArgs:
    """``rate_limit_args`` of a bot call.

    ``before_send`` is awaited after the request got its slot and right before it goes to
    Telegram (on every attempt): the broadcast sender commits "sending" there, so that the
    database never says "sending" for a message that is still waiting in the queue.
    """

    priority: Priority = Priority.INTERACTIVE
    retry_429: bool = True
    # Among bulk requests, a lower rank goes first (the outbox: receipts and alerts 0, arrival
    # notices 1, reminders 2; broadcasts 9), then first come first served.
    rank: int = 0
    before_send: Callable[[], Awaitable[None]] | None = None


INTERACTIVE = RateLimitArgs()


class RateLimiterClosed(NetworkError):
    """The limiter is shutting down: this bulk request was not sent."""

    def __init__(self) -> None:
        super().__init__("rate limiter closed; request not sent")


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds (PTB keeps a timedelta; its public property may be an int)."""
    delay = getattr(exc, "_retry_after", None)
    if not isinstance(delay, timedelta):
        delay = exc.retry_after
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


class SlidingWindow:
    """At most ``limit`` requests in any ``period`` seconds, with priority waiting.

    A slot is taken by :meth:`acquire` and handed back ``period`` seconds after
    :meth:`release` (called when the request's answer is back), or at once by :meth:`cancel`
    when nothing was sent.
    """

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.period = period
        self._free = limit
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @property
    def free(self) -> int:
        return self._free

    @property
    def waiting(self) -> int:
        return sum(1 for *_, fut in self._waiters if not fut.done())

    async def acquire(self, priority: int) -> None:
        if self._free > 0 and not self._has_waiters():
            self._free -= 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._give_back()  # granted just as we were cancelled
            raise

    def release(self) -> None:
        """The request's answer is back: the slot comes free ``period`` seconds from now."""
        asyncio.get_running_loop().call_later(self.period, self._give_back)

    def cancel(self) -> None:
        """The slot was taken but nothing was sent: it is free again at once."""
        self._give_back()

    def _has_waiters(self) -> bool:
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)
        return bool(self._waiters)

    def _give_back(self) -> None:
        while self._waiters:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)
                return
        self._free += 1


@dataclass(slots=True)
class _Chat:
    in_flight: int = 0
    bulk_in_flight: int = 0
    last_end: float = -INF        # answer of the last new message to this chat (any priority)
    last_bulk_end: float = -INF   # answer of the last bulk message to this chat
    hold_until: float = -INF      # 429 retry_after for this chat


@dataclass(slots=True, eq=False)
class _BulkRequest:
    rank: int
    seq: int
    chat: int | None
    fut: asyncio.Future[None]


class RateLimiter(BaseRateLimiter[RateLimitArgs]):
    """See the module docstring. ``per_chat_seconds=0`` switches per-chat spacing off."""

    def __init__(
        self,
        per_second: int = 30,
        per_chat_seconds: float = 1.0,
        *,
        window: float = 1.0,
        bulk_burst: int | None = None,
        bulk_pace: float = BULK_PACE,
        max_retries: int = 5,
        max_bulk_retries: int = 20,
    ) -> None:
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        self.per_second = per_second
        self.per_chat_seconds = max(0.0, per_chat_seconds)
        self.window_seconds = window
        self.max_retries = max_retries
        self.max_bulk_retries = max_bulk_retries
        # The event loop's clock (asyncio's default loop uses time.monotonic too): the window's
        # timers and aiolimiter's bucket run on it.
        self._clock = time.monotonic
        self._burst = bulk_burst or max(2, per_second // 20)
        if bulk_pace < 1.0:
            raise ValueError("bulk_pace below 1 would leave window slots unused for good")
        self._pace = bulk_pace * per_second / window
        self._reset()

    def _reset(self) -> None:
        self._window = SlidingWindow(self.per_second, self.window_seconds)
        self._bucket = AsyncLimiter(self._burst, self._burst / self._pace)
        self._chats: dict[int, _Chat] = {}
        self._bulk: list[_BulkRequest] = []
        self._bulk_seq = itertools.count()
        self._bulk_changed = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self._changed: asyncio.Future[None] | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self._close_listeners: list[Callable[[], None]] = []
        self._recent_bulk: deque[bool] = deque(maxlen=40)
        self._bulk_paused_until = -INF
        self._last_prune = 0.0
        self.stats = {"bulk_429": 0, "interactive_429": 0, "bulk_paused": 0}

    # ------------------------------------------------------------------ lifecycle

    async def initialize(self) -> None:
        if self._closed:
            self._reset()

    def add_close_listener(self, listener: Callable[[], None]) -> None:
        """Called (synchronously) when :meth:`shutdown` starts: stop feeding bulk requests."""
        self._close_listeners.append(listener)

    async def shutdown(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Stop taking bulk requests (waiting ones get :class:`RateLimiterClosed`: not sent),
        and give the requests already on their way to Telegram time to finish, so that their
        outcome is known before the HTTP client closes."""
        if self._closed:
            return
        self._closed = True
        for listener in self._close_listeners:
            try:
                listener()
            except Exception:  # noqa: BLE001 - one listener must not stop the shutdown
                log.exception("rate limiter close listener failed")
        for request in self._bulk:
            if not request.fut.done():
                request.fut.set_exception(RateLimiterClosed())
        self._bulk.clear()
        self._bulk_changed.set()
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout)
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
            self._pump_task = None

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ PTB entry

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        opts = rate_limit_args if isinstance(rate_limit_args, RateLimitArgs) else INTERACTIVE
        lowered = endpoint.lower()
        if not lowered.startswith(_MESSAGE_PREFIXES):
            return await self._unmetered(callback, args, kwargs, opts)
        chat = _chat_key(data.get("chat_id")) if lowered.startswith(_NEW_MESSAGE_PREFIXES) else None
        if opts.priority == Priority.BULK:
            return await self._bulk_request(callback, args, kwargs, chat, opts)
        return await self._interactive_request(callback, args, kwargs, chat, opts)

    async def _unmetered(self, callback, args, kwargs, opts: RateLimitArgs):  # noqa: ANN001, ANN202
        for attempt in range(self.max_retries + 1):
            try:
                if opts.before_send is not None:
                    await opts.before_send()
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if not opts.retry_429 or attempt >= self.max_retries:
                    raise
                await asyncio.sleep(retry_seconds(exc))
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ interactive

    async def _interactive_request(self, callback, args, kwargs, chat, opts):  # noqa: ANN001, ANN202
        attempt = 0
        while True:
            while True:
                await self._wait_until_chat_ready(chat, Priority.INTERACTIVE)
                await self._window.acquire(Priority.INTERACTIVE)
                if self._ready_at(chat, Priority.INTERACTIVE, self._clock()) <= self._clock():
                    break
                self._window.cancel()  # a bulk message to this chat got in meanwhile
            self._begin(chat, bulk=False)
            try:
                if opts.before_send is not None:
                    await opts.before_send()
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                self._end(chat, bulk=False, retry_after=retry_seconds(exc))
                self.stats["interactive_429"] += 1
                attempt += 1
                if not opts.retry_429 or attempt > self.max_retries:
                    raise
                log.info("429 for chat %s; retrying in %.1f s", chat, retry_seconds(exc))
                continue
            except BaseException:
                self._end(chat, bulk=False)
                raise
            self._end(chat, bulk=False)
            return result

    async def _wait_until_chat_ready(self, chat: int | None, priority: Priority) -> None:
        while True:
            now = self._clock()
            ready = self._ready_at(chat, priority, now)
            if ready <= now:
                return
            await self._wait_change(None if ready == INF else ready - now)

    async def _wait_change(self, timeout: float | None) -> None:  # noqa: ASYNC109
        """Until some request ends (or ``timeout``)."""
        if self._changed is None or self._changed.done():
            self._changed = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._changed), timeout)

    # ------------------------------------------------------------------ bulk

    async def _bulk_request(self, callback, args, kwargs, chat, opts):  # noqa: ANN001, ANN202
        request = _BulkRequest(
            opts.rank, next(self._bulk_seq), chat, asyncio.get_running_loop().create_future())
        attempt = 0
        while True:
            if self._closed:
                raise RateLimiterClosed()
            self._enqueue_bulk(request)
            try:
                await request.fut
            except asyncio.CancelledError:
                if request.fut.done() and not request.fut.cancelled():
                    self._end(chat, bulk=True, sent=False)  # granted, but we never sent
                else:
                    self._drop_bulk(request)
                raise
            try:
                if opts.before_send is not None:
                    await opts.before_send()
            except BaseException:
                self._end(chat, bulk=True, sent=False)
                raise
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = retry_seconds(exc)
                self._end(chat, bulk=True, retry_after=delay)
                self._note_bulk(refused=True, retry_after=delay)
                attempt += 1
                if not opts.retry_429 or attempt > self.max_bulk_retries:
                    raise
                request.fut = asyncio.get_running_loop().create_future()
                continue
            except BaseException:
                self._end(chat, bulk=True)
                raise
            self._end(chat, bulk=True)
            self._note_bulk(refused=False)
            return result

    def _enqueue_bulk(self, request: _BulkRequest) -> None:
        bisect.insort(self._bulk, request, key=lambda r: (r.rank, r.seq))
        self._bulk_changed.set()
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.get_running_loop().create_task(
                self._pump(), name="rate-limiter-bulk-pump"
            )

    def _drop_bulk(self, request: _BulkRequest) -> None:
        with contextlib.suppress(ValueError):
            self._bulk.remove(request)

    def _next_bulk(self, now: float) -> tuple[_BulkRequest | None, float]:
        """The oldest bulk request whose chat is ready, else the time one may become ready."""
        earliest = INF
        for request in self._bulk:
            if request.fut.done():
                continue
            ready = self._ready_at(request.chat, Priority.BULK, now)
            if ready <= now:
                return request, now
            earliest = min(earliest, ready)
        return None, earliest

    async def _pump(self) -> None:
        """Hands out bulk slots one by one: bucket (smoothness), then window (the limit)."""
        while not self._closed:
            now = self._clock()
            self._bulk = [r for r in self._bulk if not r.fut.done()]
            request, ready = self._next_bulk(now)
            if request is None:
                self._bulk_changed.clear()
                timeout = None if ready == INF else max(0.0, ready - now)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._bulk_changed.wait(), timeout)
                continue
            if self._bulk_paused_until > now:
                await asyncio.sleep(self._bulk_paused_until - now)
                continue
            await self._bucket.acquire()
            await self._window.acquire(Priority.BULK)
            # Things may have moved while we waited: take whoever is first now.
            request, _ = self._next_bulk(self._clock())
            if request is None or self._closed:
                self._window.cancel()
                continue
            self._bulk.remove(request)
            self._begin(request.chat, bulk=True)
            request.fut.set_result(None)

    def _note_bulk(self, *, refused: bool, retry_after: float = 0.0) -> None:
        """A run of refusals means a flood wait for the whole bot: pause the bulk lane."""
        self._recent_bulk.append(refused)
        if not refused:
            return
        self.stats["bulk_429"] += 1
        recent = self._recent_bulk
        if len(recent) >= 20 and sum(recent) * 2 >= len(recent):
            self._bulk_paused_until = max(self._bulk_paused_until, self._clock() + retry_after)
            self.stats["bulk_paused"] += 1
            recent.clear()
            log.warning("many 429 answers: pausing broadcasts for %.1f s", retry_after)

    # ------------------------------------------------------------------ per chat

    def _ready_at(self, chat: int | None, priority: Priority, now: float) -> float:
        if chat is None:
            return now
        state = self._chats.get(chat)
        if state is None:
            return now
        if priority == Priority.BULK:
            if state.in_flight:
                return INF
            ready = max(state.last_end + self.per_chat_seconds, state.hold_until)
        else:
            if state.bulk_in_flight:
                return INF
            ready = max(state.last_bulk_end + self.per_chat_seconds, state.hold_until)
        return max(ready, now)

    def _begin(self, chat: int | None, *, bulk: bool) -> None:
        self._in_flight += 1
        self._idle.clear()
        if chat is None:
            return
        state = self._chats.get(chat)
        if state is None:
            state = self._chats[chat] = _Chat()
        state.in_flight += 1
        if bulk:
            state.bulk_in_flight += 1

    def _end(
        self, chat: int | None, *, bulk: bool, sent: bool = True, retry_after: float | None = None
    ) -> None:
        now = self._clock()
        self._in_flight -= 1
        if self._in_flight == 0:
            self._idle.set()
        if sent:
            self._window.release()
        else:
            self._window.cancel()
        if chat is not None:
            state = self._chats.get(chat)
            if state is not None:
                state.in_flight -= 1
                if bulk:
                    state.bulk_in_flight -= 1
                if sent:
                    state.last_end = now
                    if bulk:
                        state.last_bulk_end = now
                if retry_after is not None:
                    state.hold_until = max(state.hold_until, now + retry_after)
        if now - self._last_prune >= max(self.per_chat_seconds, self.window_seconds):
            self._prune(now)
        if self._changed is not None and not self._changed.done():
            self._changed.set_result(None)
        self._bulk_changed.set()

    def _prune(self, now: float) -> None:
        """Forget chats that no longer constrain anything (keeps memory flat over 100k chats)."""
        self._last_prune = now
        spacing = self.per_chat_seconds
        self._chats = {
            chat: state
            for chat, state in self._chats.items()
            if state.in_flight or max(state.last_end + spacing, state.hold_until) > now
        }

    @property
    def tracked_chats(self) -> int:
        return len(self._chats)


def _chat_key(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None

"""The one sender of outbox messages: a background task per process.

* Picks due rows, most urgent first, **one at a time per chat** (a chat's next row is taken
  only after the previous one's outcome is committed), up to ``concurrency`` chats at once.
* Every request goes through the bot's rate limiter as bulk traffic with the row's priority as
  its rank: replies to people typing go first, broadcasts last, one chat's messages spaced.
* Rows are chosen a page at a time (one indexed query per page, not per row). Rows of a kind
  with ``render_many`` (arrival notices) are rendered ahead, a group of up to ``render_batch``
  in one call (their codes issued in one transaction of a few statements), one group at a time,
  while earlier rows are being sent; rendered rows then wait for a place. A row holds one of
  ``concurrency`` places only while it is sent (or rendered, for other kinds), not while its
  outcome is being committed.
* Outcomes are committed in groups: one ``UPDATE … FROM json_each(?)`` statement for all the
  rows' states, plus each kind's hooks (``on_sent_many`` once per group where given).
  429 → the row (and so its chat) waits ``retry_after``; 5xx / timeouts / resets → back-off
  1, 2, 4, 8, 16 … s; 403 → user blocked; 400 or too many tries → recorded ``failed``. A
  waiting row holds only its own chat.
* Woken when a transaction commits (``Database.add_commit_listener``), when a back-off ends,
  and at start-up (rows left by a crash are simply still pending).

After a kill -9, a row whose message was on its way is still pending and is sent again: a crash
repeats at most the messages in flight (at most one per chat), and loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.clock import from_db
from bot.i18n import translator
from bot.outbox import store
from bot.outbox.errors import Judgement, Verdict, judge
from bot.outbox.renderers import REGISTRY, Outcome, OutMessage, RenderContext
from bot.ratelimit import Priority, RateLimitArgs, RateLimiter
from bot.services.audiences import effective_language
from bot.services.context import Services

log = logging.getLogger(__name__)

EXTRAS_KEY = "outbox"
MAX_REFUSALS = 20           # 429s for one row before it is recorded failed
MAX_BACKOFF = 60.0
IDLE_POLL = 30.0            # a safety net; commits and timers wake the sender

def backoff(attempts: int, unit: float = 1.0) -> float:
    """Seconds before try ``attempts + 1`` after a 5xx / timeout: 1, 2, 4, 8 … up to 60."""
    return min(MAX_BACKOFF, unit * 2.0 ** max(0, attempts - 1))


@dataclass(slots=True)
class _Record:
    """One row's outcome to commit: its new state, and the kind's hook to run with it."""

    row: store.OutboxRow
    outcome: store.RowOutcome
    hook: str | None = None        # "sent" | "failed"
    message_id: int | None = None
    error: str = ""
    block: bool = False            # 403: the user blocked the bot


async def _run_hooks(conn: aiosqlite.Connection, records: list[_Record], now: datetime) -> None:
    """Each kind's hooks, grouped: a kind with a ``*_many`` hook gets one call per group."""
    groups: dict[tuple[str, str], list[_Record]] = {}
    for rec in records:
        if rec.hook is not None:
            groups.setdefault((rec.row.kind, rec.hook), []).append(rec)
    for (name, hook), recs in groups.items():
        kind = REGISTRY.get(name)
        if kind is None:
            continue
        outcomes = [Outcome(r.row.chat_id, r.row.payload, now, r.message_id, r.error)
                    for r in recs]
        many = kind.on_sent_many if hook == "sent" else kind.on_failed_many
        one = kind.on_sent if hook == "sent" else kind.on_failed
        if many is not None:
            await many(conn, outcomes)
        elif one is not None:
            for outcome in outcomes:
                await one(conn, outcome)


class _Writer:
    """Commits outcomes many per transaction (group commit); each caller awaits its own.

    A group without hooks or blocked users is one ``UPDATE … FROM json_each(?)`` statement in
    autocommit: one round trip to the database thread for the whole group."""

    def __init__(self, svc: Services) -> None:
        self._svc = svc
        self._ops: list[tuple[_Record, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.commits = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="outbox-writer")

    async def commit(self, rec: _Record) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._ops.append((rec, fut))
        self._wake.set()
        await fut

    async def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

    async def _apply(self, records: list[_Record]) -> None:
        now = self._svc.clock.now()
        outcomes = [r.outcome for r in records]
        blocked = [r.row.chat_id for r in records if r.block]
        hooked = [r for r in records if r.hook is not None and _has_hooks(r.row.kind)]
        if not blocked and not hooked:
            await self._svc.db.execute(*store.outcomes_statement(outcomes, now))
            return
        async with self._svc.db.transaction() as conn:
            await store.record_outcomes(conn, outcomes, now)
            if blocked:
                await store.mark_users_blocked(conn, blocked, now)
            if hooked:
                await _run_hooks(conn, hooked, now)

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._ops = self._ops, []
            if batch:
                try:
                    await self._apply([rec for rec, _ in batch])
                    results: list[BaseException | None] = [None] * len(batch)
                except Exception:  # noqa: BLE001 - find the bad one: each on its own
                    results = []
                    for rec, _ in batch:
                        try:
                            await self._apply([rec])
                            results.append(None)
                        except Exception as exc:  # noqa: BLE001 - reported to its caller
                            log.exception("outbox: could not record an outcome")
                            results.append(exc)
                self.commits += 1
                for (_, fut), exc in zip(batch, results, strict=True):
                    if fut.done():
                        continue
                    if exc is None:
                        fut.set_result(None)
                    else:
                        fut.set_exception(exc)
            if self._closed and not self._ops:
                return


_UNRENDERED: Any = object()


def _order(row: store.OutboxRow) -> tuple[int, int]:
    """Which row goes first: the more urgent, then the older (as ``store.due`` orders them)."""
    return row.priority, row.id


def _has_hooks(name: str) -> bool:
    kind = REGISTRY.get(name)
    return kind is not None and kind.has_hooks


class OutboxSender:
    """``await start()`` once the database is open; ``await close()`` before it closes."""

    def __init__(
        self, bot: Bot, svc: Services, *, concurrency: int = 32, max_attempts: int = 6,
        backoff_unit: float = 1.0,
    ) -> None:
        self.bot = bot
        self.svc = svc
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff_unit = backoff_unit  # tests shrink the back-off
        self._writer = _Writer(svc)
        self._busy: set[int] = set()            # chats with a row being sent or recorded
        self._sending = 0                        # rows being rendered or sent (≤ concurrency)
        # Kinds rendered in groups (arrival notices): one group at a time is rendered ahead of
        # the places (its rows hold their chats, not places), then waits here for places.
        self.render_batch = max(64, 4 * concurrency)
        self._rendering = False
        self._ready: deque[tuple[store.OutboxRow, Any]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._idle_waiters: list[asyncio.Future[None]] = []
        self._progress = asyncio.Event()         # set whenever a row's outcome is recorded
        self.stats = {"sent": 0, "retried": 0, "failed": 0, "blocked": 0, "dropped": 0}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        left = await store.counts(self.svc.db)
        if left.get(store.PENDING):
            log.info("outbox: %d message(s) waiting from before the start", left[store.PENDING])
        self.svc.db.add_commit_listener(self.wake)
        limiter = self.bot.rate_limiter
        if isinstance(limiter, RateLimiter):
            limiter.add_close_listener(self.begin_close)
        self._writer.start()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-sender")

    def wake(self) -> None:
        self._wake.set()

    def begin_close(self) -> None:
        """Send nothing new; messages already on their way finish and are recorded."""
        self._closing = True
        self._wake.set()

    async def close(self) -> None:
        self.begin_close()
        self.svc.db.remove_commit_listener(self.wake)
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 5)
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=20)
            for task in pending:
                task.cancel()
        await self._writer.close()
        for fut in self._idle_waiters:
            if not fut.done():
                fut.set_result(None)

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Until nothing is due now and nothing is on its way (tests, benchmarks)."""
        if self._task is None or self._task.done():
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._idle_waiters.append(fut)
        self.wake()
        await asyncio.wait_for(fut, timeout)

    async def wait_settled(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Until no row is pending at all, back-offs included (tests, benchmarks)."""

        async def run() -> None:
            # One cheap indexed look at most every 0.1 s (a count of every row after each
            # outcome held the database from the sender for a sixth of a 10,000-row run).
            while await store.any_pending(self.svc.db):
                self._progress.clear()
                with contextlib.suppress(TimeoutError):  # a back-off may end without progress
                    await asyncio.wait_for(self._progress.wait(), 0.5)
                await asyncio.sleep(0.1)

        await asyncio.wait_for(run(), timeout)

    # ------------------------------------------------------------------ dispatch

    async def _run(self) -> None:
        """Dispatch from a buffer of due rows; read the table again only when the buffer runs
        out, a new row was enqueued (it may be more urgent), or a back-off may have ended."""
        buffer: deque[store.OutboxRow] = deque()
        refill = True
        while not self._closing:
            self._wake.clear()
            waiters, self._idle_waiters = self._idle_waiters, []
            if store.take_enqueued_flag() or waiters:
                refill = True
            if refill or not buffer:
                try:
                    limit = len(self._busy) + max(2 * self.concurrency, 200)
                    rows = await store.due(self.svc.db, self.svc.clock.now(), limit)
                except Exception:  # noqa: BLE001 - keep the sender alive
                    log.exception("outbox: could not read due messages; retrying in 2 s")
                    self._idle_waiters.extend(waiters)
                    await asyncio.sleep(2)
                    continue
                buffer = deque(r for r in rows if r.chat_id not in self._busy)
                refill = False
            self._dispatch(buffer)
            if not self._busy and not buffer:
                for fut in waiters:
                    if not fut.done():
                        fut.set_result(None)
                waiters = []
            self._idle_waiters.extend(waiters)
            timeout = None
            if not self._busy and not buffer:
                timeout = await self._until_next_due()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                refill = True  # a back-off may have ended

    def _dispatch(self, buffer: deque[store.OutboxRow]) -> None:
        """Hand out what may go now, most urgent first: rendered rows waiting for a place and
        rows from ``buffer`` (each takes a place and is rendered and sent on its own), and
        gather rows of a kind rendered in groups into the next render group (no place needed
        while it is rendered; one group at a time, up to ``render_batch`` rows)."""
        group: list[store.OutboxRow] = []
        group_kind: str | None = None
        while True:
            ready_first = bool(self._ready) and (
                not buffer or _order(self._ready[0][0]) <= _order(buffer[0]))
            if ready_first:
                if self._sending >= self.concurrency:
                    break
                row, message = self._ready.popleft()
                self._sending += 1
                self._spawn(self._work(row, message))
                continue
            if not buffer:
                break
            row = buffer[0]
            if row.chat_id in self._busy:
                buffer.popleft()  # that chat's row is on its way; its next one comes later
                continue
            kind = REGISTRY.get(row.kind)
            if kind is not None and kind.render_many is not None:
                may_group = (not self._rendering and len(self._ready) < self.concurrency
                             and len(group) < self.render_batch
                             and group_kind in (None, row.kind))
                if not may_group:
                    break  # its turn comes when the group ahead of it is rendered
                buffer.popleft()
                self._busy.add(row.chat_id)
                group.append(row)
                group_kind = row.kind
                continue
            if self._sending >= self.concurrency:
                break
            buffer.popleft()
            self._busy.add(row.chat_id)
            self._sending += 1
            self._spawn(self._work(row))
        if group and group_kind is not None:
            self._rendering = True
            self._spawn(self._work_many(group_kind, group))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work_many(self, name: str, rows: list[store.OutboxRow]) -> None:
        """Render rows of one kind in one call; each then waits for a place to be sent."""
        kind = REGISTRY.get(name)
        assert kind is not None and kind.render_many is not None
        rendered: list[OutMessage | None | BaseException]
        try:
            ctxs = [self._context(row) for row in rows]
            rendered = list(await kind.render_many(ctxs, [row.payload for row in rows]))
            if len(rendered) != len(rows):
                raise RuntimeError(f"render_many of {name!r} gave {len(rendered)} answers")
        except Exception as exc:  # noqa: BLE001 - each row is retried as a renderer's error
            log.exception("outbox: rendering %d %s rows failed", len(rows), name)
            rendered = [exc] * len(rows)
        finally:
            self._rendering = False
        self._ready.extend(zip(rows, rendered, strict=True))
        self._wake.set()

    async def _until_next_due(self) -> float:
        try:
            first = await store.next_due_at(self.svc.db)
        except Exception:  # noqa: BLE001
            return 2.0
        if first is None:
            return IDLE_POLL
        delta = (from_db(first) - self.svc.clock.now()).total_seconds()
        return min(IDLE_POLL, max(0.05, delta))

    # ------------------------------------------------------------------ one row

    async def _work(self, row: store.OutboxRow, rendered: Any = _UNRENDERED) -> None:
        """Render and send (holding one of ``concurrency`` places), then record the outcome
        (holding only the chat: its next row waits for this one's outcome to be committed)."""
        try:
            if isinstance(rendered, BaseException):
                raise rendered
            rec = await self._attempt(row, rendered)
        except Exception as exc:  # noqa: BLE001 - a renderer's bug must not stop the sender
            log.exception("outbox row %s (%s) failed", row.id, row.kind)
            rec = self._failure(row, Judgement(Verdict.RETRY, f"internal error: {exc!r}"[:300]))
        finally:
            self._sending -= 1
            self._wake.set()
        try:
            if rec is not None:
                await self._writer.commit(rec)
        except Exception:  # noqa: BLE001 - already logged; the row stays pending
            pass
        finally:
            self._busy.discard(row.chat_id)
            self._wake.set()
            self._progress.set()

    def _context(self, row: store.OutboxRow) -> RenderContext:
        t = translator(effective_language(row.language, row.tg_language))
        return RenderContext(self.svc, row.chat_id, t, row.id)

    async def _attempt(self, row: store.OutboxRow, rendered: Any = _UNRENDERED) -> _Record | None:
        kind = REGISTRY.get(row.kind)
        if kind is None:
            return self._failure(row, Judgement(Verdict.FAILED, f"no renderer for {row.kind!r}"))
        if rendered is _UNRENDERED:
            message = await kind.render(self._context(row), row.payload)
        else:
            message = rendered
        if message is None:
            self.stats["dropped"] += 1
            return _Record(row, store.RowOutcome(row.id, store.DROPPED, tries=1))
        if self._closing:
            return None
        try:
            answer = await self._send(row, message)
        except TelegramError as exc:
            return self._failure(row, judge(exc))
        self.stats["sent"] += 1
        message_id = answer.get("message_id") if isinstance(answer, dict) else None
        return _Record(row, store.RowOutcome(row.id, store.SENT, message_id=message_id),
                       hook="sent", message_id=message_id)

    async def _send(self, row: store.OutboxRow, message: OutMessage) -> Any:
        kwargs: dict[str, Any] = {
            "chat_id": row.chat_id, "text": message.text, "parse_mode": ParseMode.HTML,
        }
        if not message.link_preview:
            kwargs["link_preview_options"] = {"is_disabled": True}
        if message.reply_markup is not None:
            markup = message.reply_markup
            kwargs["reply_markup"] = markup.to_dict() if hasattr(markup, "to_dict") else markup
        # do_api_request: the same sendMessage, but the answer stays a dict (no Message object
        # nobody reads: a tenth of the CPU at 1,000 msg/s). Lower-case name: see broadcasts.
        return await self.bot.do_api_request(
            "sendmessage", api_kwargs=kwargs,
            rate_limit_args=RateLimitArgs(
                priority=Priority.BULK, retry_429=False, rank=int(row.priority)),
        )

    def _failure(self, row: store.OutboxRow, j: Judgement) -> _Record | None:
        tries = row.attempts + 1
        if j.verdict is Verdict.STOPPING:
            return None  # nothing was sent; the row stays pending for the next start
        if j.verdict is Verdict.RETRY_AFTER and tries < MAX_REFUSALS:
            return self._retry(row, j.delay, j.error)
        if j.verdict is Verdict.RETRY and tries < self.max_attempts:
            return self._retry(row, backoff(tries, self.backoff_unit), j.error)
        state = store.BLOCKED if j.verdict is Verdict.BLOCKED else store.FAILED
        self.stats[state] += 1
        log.warning("outbox: %s to chat %s not delivered: %s", row.kind, row.chat_id, j.error)
        return _Record(row, store.RowOutcome(row.id, state, tries=1, error=j.error[:300]),
                       hook="failed", error=j.error, block=state == store.BLOCKED)

    def _retry(self, row: store.OutboxRow, delay: float, error: str) -> _Record:
        self.stats["retried"] += 1
        not_before = self.svc.clock.now() + timedelta(seconds=delay)
        return _Record(row, store.RowOutcome(row.id, store.PENDING, tries=1, error=error[:300],
                                             not_before=not_before))


def get_sender(svc: Services) -> OutboxSender | None:
    sender = svc.extras.get(EXTRAS_KEY)
    return sender if isinstance(sender, OutboxSender) else None

"""Delivers broadcasts: one task per process, started at start-up, resuming unfinished work.

How a recipient row moves (``broadcast_recipients.state``), each change committed:

    pending ──(slot granted by the rate limiter)──▶ sending ──▶ sent | failed | blocked
       ▲                                               │
       └──────── 429 / network error before Telegram ──┘   (re-queued, retried later)

* "sending" is committed *after* the rate limiter granted the slot and *before* the request is
  written to the socket (``RateLimitArgs.before_send``), so a row never says "sending" while it
  is still waiting in a queue.
* After a SIGKILL, rows left "sending" are the messages that were on their way to Telegram at
  that moment. Their fate cannot be known (the Bot API has no idempotency key and no way to ask
  "did this arrive?"), so they become "unknown" and are **not** sent again: at-most-once for
  those few rows, exactly-once for every other. See docs/broadcasts.md for why.
* A request whose answer never came back (read timeout, connection dropped mid-answer) is
  treated the same way; errors where Telegram certainly did nothing (429, 5xx, connection
  refused) are retried with back-off, then recorded as failed. 403 marks the user blocked.

Rows are streamed page by page (keyset pagination) into a small queue worked by a few
concurrent workers, so memory does not grow with the audience; the state changes of many rows
are written in one transaction (group commit) by :class:`RowWriter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from functools import partial

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.clock import to_db
from bot.handlers import broadcast_views as views
from bot.i18n import LANGUAGES, translator
from bot.outbox.errors import fate_known
from bot.ratelimit import Priority, RateLimitArgs, RateLimiter, RateLimiterClosed, retry_seconds
from bot.services.audiences import effective_language
from bot.services.broadcast import Counts
from bot.services.context import Services
from bot.storage import broadcasts as repo
from bot.storage import users as users_repo
from bot.storage.broadcasts import RowUpdate

log = logging.getLogger(__name__)

PAGE_SIZE = 500
NETWORK_BACKOFF = (0.5, 1.5, 4.0)   # then failed
MAX_REFUSALS = 20                   # 429s for one message before it is recorded as failed
OUTAGE_AFTER = 10                   # network errors in a row that mean "Telegram unreachable"
OUTAGE_MAX_PAUSE = 60.0
BROADCAST_RANK = 9                  # last in the limiter's bulk lane, after the outbox


class _Halt(Exception):
    """The broadcast was stopped or the bot is closing: this message is not sent."""


@dataclass(eq=False, slots=True)
class _Row:
    id: int
    user_id: int
    chat_id: int
    lang: str
    blocked: bool
    attempts: int = 0
    refusals: int = 0


class RowWriter:
    """Writes recipient state changes in order, many per transaction (group commit).

    :meth:`mark_sending` waits until its change is committed; :meth:`record` does not wait but
    is committed in the next batch, within milliseconds.
    """

    def __init__(self, svc: Services) -> None:
        self._svc = svc
        self._ops: list[RowUpdate] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.commits = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="broadcast-rows")

    def _now(self) -> str:
        return to_db(self._svc.clock.now())

    async def mark_sending(self, row_id: int) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._ops.append(RowUpdate(row_id, "sending", self._now()))
        self._waiters.append(fut)
        self._wake.set()
        await fut

    def record(
        self,
        row_id: int,
        state: str,
        *,
        message_id: int | None = None,
        error: str | None = None,
        block_user: int | None = None,
    ) -> None:
        self._ops.append(RowUpdate(row_id, state, self._now(), message_id, error, block_user))
        self._wake.set()

    async def flush(self) -> None:
        """Until everything recorded so far is committed."""
        if self._task is None or self._task.done():
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        self._wake.set()
        with contextlib.suppress(Exception):
            await fut

    async def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            ops, waiters = self._ops, self._waiters
            self._ops, self._waiters = [], []
            try:
                await repo.apply_updates(self._svc.db, ops)
            except Exception as exc:  # noqa: BLE001 - reported to every waiter, logged
                log.exception("could not record %d broadcast row change(s)", len(ops))
                for fut in waiters:
                    if not fut.done():
                        fut.set_exception(exc)
            else:
                self.commits += 1
                for fut in waiters:
                    if not fut.done():
                        fut.set_result(None)
            if self._closed and not self._ops:
                return


class _Run:
    """One broadcast being delivered by this process."""

    def __init__(self, row, queue_size: int) -> None:  # noqa: ANN001 - a storage Row
        self.id: int = row["id"]
        self.admin_id: int = row["created_by"]
        self.progress_chat_id: int | None = row["progress_chat_id"]
        self.progress_message_id: int | None = row["progress_message_id"]
        texts = repo.texts_of(row)
        self.texts = {lang: views.notice_text(texts, lang) for lang in LANGUAGES}
        self.stopped = row["status"] == "stopping"
        self.closing = False
        self.queue: asyncio.Queue[_Row | None] = asyncio.Queue(maxsize=queue_size)
        self.outstanding = 0
        self.settled = asyncio.Event()
        self.settled.set()
        self.retries: set[asyncio.Task[None]] = set()
        self.producer: asyncio.Task[None] | None = None
        self.workers: list[asyncio.Task[None]] = []
        self.sending: set[asyncio.Task[object]] = set()  # workers whose message is on its way
        self.counts: dict[str, int] = {}  # for the progress message; the rows stay the truth
        # Network errors in a row mean Telegram is unreachable, not that these recipients are
        # bad: pause instead of burning every row's retries (see _network_error).
        self.network_errors = 0
        self.paused_until = 0.0

    @property
    def halted(self) -> bool:
        return self.stopped or self.closing

    def take(self) -> None:
        self.outstanding += 1
        self.settled.clear()

    def done_one(self) -> None:
        self.outstanding -= 1
        if self.outstanding <= 0:
            self.settled.set()

    def halt(self) -> None:
        """Stop handing out rows. Workers still waiting for a slot are called off (their rows
        stay pending); a worker whose message is already on its way finishes it."""
        for task in list(self.retries):
            task.cancel()
        if self.producer is not None:
            self.producer.cancel()
        for worker in self.workers:
            if worker not in self.sending:
                worker.cancel()
        self.settled.set()


class BroadcastSender:
    """The one sender of a process; ``await start()`` in on_startup, ``close()`` on shutdown."""

    def __init__(
        self,
        bot: Bot,
        svc: Services,
        *,
        concurrency: int = 8,
        progress_seconds: float = 3.0,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.bot = bot
        self.svc = svc
        self.concurrency = concurrency
        self.progress_seconds = progress_seconds
        self.page_size = page_size
        self.writer = RowWriter(svc)
        self.current: _Run | None = None
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.interrupted_rows = 0
        self._ended: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.interrupted_rows = await repo.mark_interrupted(self.svc.db, self.svc.clock.now())
        if self.interrupted_rows:
            log.warning(
                "%d broadcast message(s) were on their way to Telegram when the bot stopped; "
                "marked unknown, not sent again", self.interrupted_rows)
        limiter = self.bot.rate_limiter
        if isinstance(limiter, RateLimiter):
            limiter.add_close_listener(self.begin_close)
        self.writer.start()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="broadcast-sender")

    def wake(self) -> None:
        """A broadcast was created or stopped: look at the database again."""
        self._wake.set()

    def request_stop(self, broadcast_id: int) -> None:
        run = self.current
        if run is not None and run.id == broadcast_id:
            run.stopped = True
            run.halt()
        self.wake()

    def begin_close(self) -> None:
        """Stop handing out messages; those already on their way finish."""
        self._closing = True
        run = self.current
        if run is not None:
            run.closing = True
            run.halt()
        self._wake.set()

    async def close(self) -> None:
        self.begin_close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 30)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("broadcast sender did not stop in time")
            except Exception:  # noqa: BLE001 - already logged by the task
                pass
        await self.writer.close()

    async def wait_done(self, broadcast_id: int, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Until the broadcast is finished or stopped and its report sent (tests, benchmarks)."""

        async def done() -> None:
            while True:
                changed = self._ended_future()
                row = await repo.get(self.svc.db, broadcast_id)
                current = self.current
                if (row is not None and row["status"] in ("done", "stopped")
                        and (current is None or current.id != broadcast_id)):
                    return
                await changed

        await asyncio.wait_for(done(), timeout)

    def _ended_future(self) -> asyncio.Future[None]:
        if self._ended is None or self._ended.done():
            self._ended = asyncio.get_running_loop().create_future()
        return self._ended

    def _notify_ended(self) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)

    # ------------------------------------------------------------------ main loop

    async def _run(self) -> None:
        while not self._closing:
            try:
                row = await repo.next_active(self.svc.db)
            except Exception:  # noqa: BLE001 - keep the sender alive; try again shortly
                log.exception("could not read broadcasts; retrying in 5 s")
                await asyncio.sleep(5)
                continue
            if row is None:
                await self._wake.wait()
                self._wake.clear()
                continue
            try:
                await self._deliver(row)
            except Exception:  # noqa: BLE001 - keep the bot alive; try again shortly
                log.exception("broadcast %s: delivery failed; retrying in 5 s", row["id"])
                await asyncio.sleep(5)

    async def _deliver(self, row) -> None:  # noqa: ANN001 - a storage Row
        run = _Run(row, self.page_size)
        self.current = run
        progress: asyncio.Task[None] | None = None
        try:
            if not run.stopped:
                loop = asyncio.get_running_loop()
                run.counts = await repo.counts(self.svc.db, run.id)
                progress = loop.create_task(self._progress(run))
                run.workers = [loop.create_task(self._worker(run))
                               for _ in range(self.concurrency)]
                run.producer = loop.create_task(self._produce(run))
                failure: BaseException | None = None
                try:
                    (outcome,) = await asyncio.gather(run.producer, return_exceptions=True)
                    if isinstance(outcome, Exception):
                        failure = outcome  # e.g. the database went away: try again later
                        run.halt()
                    elif not run.halted:  # all rows have an outcome; the queue is empty
                        for _ in run.workers:
                            run.queue.put_nowait(None)
                    await asyncio.gather(*run.workers, return_exceptions=True)
                finally:
                    run.halt()
                    await self.writer.flush()
                if failure is not None:
                    raise failure
            if run.closing:
                return  # resumed at the next start
            if not run.stopped:
                left = await repo.counts(self.svc.db, run.id)
                if left.get("pending") or left.get("sending"):
                    raise RuntimeError(f"rows left after the last pass: {left}")
            final = await repo.finish(self.svc.db, run.id, stopped=run.stopped,
                                      now=self.svc.clock.now(),
                                      report_to=run.progress_chat_id or run.admin_id)
            log.info("broadcast %s %s: %s", run.id, "stopped" if run.stopped else "done", final)
            if progress is not None:
                progress.cancel()
            await self._report(run, Counts.of(final))
        finally:
            if progress is not None:
                progress.cancel()
            self.current = None
            self._notify_ended()

    async def _produce(self, run: _Run) -> None:
        """Stream pending rows in id order (keyset pages) into the workers' queue."""
        first, last = await repo.row_id_range(self.svc.db, run.id)
        start = cursor = first - 1
        while not run.halted:
            page = await repo.pending_page(self.svc.db, run.id, cursor, last, self.page_size)
            if not page:
                await run.settled.wait()  # everything handed out has an outcome (or halted)
                if run.halted or cursor == start:
                    return
                cursor = start  # one more pass from the start: nothing may be left behind
                continue
            for r in page:
                if run.halted:
                    return
                run.take()
                await run.queue.put(_Row(
                    id=r["id"], user_id=r["user_id"], chat_id=r["chat_id"],
                    lang=effective_language(r["language"], r["tg_language"]),
                    blocked=bool(r["blocked"]),
                ))
            cursor = page[-1]["id"]

    async def _worker(self, run: _Run) -> None:
        me = asyncio.current_task()
        loop = asyncio.get_running_loop()
        while not run.halted:
            row = await run.queue.get()
            if row is None:
                return
            if run.paused_until > loop.time():  # an outage: wait before trying again
                await asyncio.sleep(run.paused_until - loop.time())
            try:
                await self._send_one(run, row)
            except Exception:  # noqa: BLE001 - one row must not stop the broadcast
                log.exception("broadcast %s: row %s", run.id, row.id)
                self._retry_later(run, row, 5.0, "internal error")
            finally:
                run.sending.discard(me)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ one message

    async def _send_one(self, run: _Run, row: _Row) -> None:
        if row.blocked:
            self._final(run, row, "blocked", error="blocked the bot earlier")
            return
        args = RateLimitArgs(
            priority=Priority.BULK,
            retry_429=False,
            rank=BROADCAST_RANK,
            before_send=partial(self._mark_sending, run, row),
        )
        try:
            # sendMessage through do_api_request: the same request, but the answer stays a dict
            # instead of a telegram.Message nobody reads (a tenth of the CPU at 1,000 msg/s).
            # Bot API method names are case-insensitive; the lower-case name keeps PTB from
            # suggesting send_message instead.
            message = await self.bot.do_api_request(
                "sendmessage",
                api_kwargs={"chat_id": row.chat_id, "parse_mode": ParseMode.HTML,
                            "text": run.texts.get(row.lang) or run.texts["en"]},
                rate_limit_args=args,
            )
        except (_Halt, RateLimiterClosed):
            run.done_one()  # not sent: the row stays pending (resumed, or cancelled by a stop)
        except RetryAfter as exc:
            row.refusals += 1
            if row.refusals > MAX_REFUSALS:
                self._final(run, row, "failed", error=f"429 {row.refusals} times")
            else:
                # The limiter holds this chat for retry_after; queue the row again after it.
                self._retry_later(run, row, retry_seconds(exc), None)
        except Forbidden as exc:
            self._final(run, row, "blocked", error=f"403 {exc.message}", block_user=row.user_id)
        except BadRequest as exc:
            self._final(run, row, "failed", error=f"400 {exc.message}")
        except NetworkError as exc:  # TimedOut included
            self._network_error(run, row, exc)
        except TelegramError as exc:
            self._final(run, row, "failed", error=exc.message)
        else:
            run.network_errors = 0
            message_id = message.get("message_id") if isinstance(message, dict) else None
            self._final(run, row, "sent", message_id=message_id)

    def _network_error(self, run: _Run, row: _Row, exc: NetworkError) -> None:
        """5xx or no connection: back off and retry, then failed; no answer at all: unknown.

        Many in a row (Telegram or our network is down) pause the whole broadcast with growing
        back-off instead, without using up the row's retries, so an outage does not turn the
        rest of the audience into "failed".
        """
        if not fate_known(exc):
            self._final(run, row, "unknown", error=f"no answer: {exc.message}")
            return
        run.network_errors += 1
        if run.network_errors >= OUTAGE_AFTER:
            loop = asyncio.get_running_loop()
            pause = min(OUTAGE_MAX_PAUSE, 2.0 ** (run.network_errors - OUTAGE_AFTER + 2))
            if run.paused_until < loop.time():
                log.warning("broadcast %s: %d network errors in a row (%s); pausing %.0f s",
                            run.id, run.network_errors, exc.message, pause)
            run.paused_until = max(run.paused_until, loop.time() + pause)
            self._retry_later(run, row, pause, exc.message)
        elif row.attempts < len(NETWORK_BACKOFF):
            row.attempts += 1
            self._retry_later(run, row, NETWORK_BACKOFF[row.attempts - 1], exc.message)
        else:
            self._final(run, row, "failed", error=f"network: {exc.message}")

    async def _mark_sending(self, run: _Run, row: _Row) -> None:
        """Right before the request goes out (the slot is granted): commit "sending"."""
        if run.halted:
            raise _Halt()
        task = asyncio.current_task()
        if task is not None:
            run.sending.add(task)  # from here on, a stop lets this message finish
        await self.writer.mark_sending(row.id)

    def _final(self, run: _Run, row: _Row, state: str, **kwargs: object) -> None:
        self.writer.record(row.id, state, **kwargs)  # type: ignore[arg-type]
        run.counts["pending"] = run.counts.get("pending", 0) - 1
        run.counts[state] = run.counts.get(state, 0) + 1
        run.done_one()

    def _retry_later(self, run: _Run, row: _Row, delay: float, error: str | None) -> None:
        """Back to pending (so a restart finds it) and into the queue again after ``delay``."""
        self.writer.record(row.id, "pending", error=error)

        async def later() -> None:
            try:
                await asyncio.sleep(delay)
                if not run.halted:
                    await run.queue.put(row)
                    return
            except asyncio.CancelledError:
                pass
            run.done_one()

        task = asyncio.get_running_loop().create_task(later())
        run.retries.add(task)
        task.add_done_callback(run.retries.discard)

    # ------------------------------------------------------------------ the admin's view

    async def _admin_translator(self, run: _Run):  # noqa: ANN202
        lang = await users_repo.language_of(self.svc.db, run.progress_chat_id or run.admin_id)
        return translator(lang)

    async def _progress(self, run: _Run) -> None:
        """Edit the admin's progress message every few seconds while counts change."""
        t = await self._admin_translator(run)
        last = ""
        first = True
        while not run.closing and run.progress_message_id is not None:
            if not first:  # the first edit at once: the message may say "waiting" or be stale
                await asyncio.sleep(self.progress_seconds)
            first = False
            if run.closing:
                return
            text = views.progress_text(t, run.id, Counts.of(run.counts), stopping=run.stopped)
            if text == last:
                continue
            last = text
            markup = None if run.stopped else views.stop_keyboard(t, run.id)
            await self._edit_progress(run, text, markup)

    async def _edit_progress(self, run: _Run, text: str, markup: object) -> None:
        if run.progress_chat_id is None or run.progress_message_id is None:
            return
        try:
            await self.bot.edit_message_text(
                text, chat_id=run.progress_chat_id, message_id=run.progress_message_id,
                reply_markup=markup,  # type: ignore[arg-type]
            )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                log.info("progress message of broadcast %s: %s", run.id, exc.message)
                run.progress_message_id = None  # deleted or too old: stop editing it
        except TelegramError as exc:
            log.info("progress message of broadcast %s: %s", run.id, exc)

    async def _report(self, run: _Run, counts: Counts) -> None:
        t = await self._admin_translator(run)
        text = views.report_text(t, run.id, counts, stopped=run.stopped)
        await self._edit_progress(run, text, None)
        # The report as a new message was queued in the outbox with the final counts.


def get_sender(svc: Services) -> BroadcastSender | None:
    sender = svc.extras.get("broadcast_sender")
    return sender if isinstance(sender, BroadcastSender) else None


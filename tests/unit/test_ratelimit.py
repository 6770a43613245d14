"""The rate limiter with a recording fake callback, in short real intervals.

The window and spacing guarantees are hard invariants (the limiter measures with the same
monotonic clock the recorder uses), so they are asserted exactly; only speed is checked with
loose bounds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot.ratelimit import Priority, RateLimitArgs, RateLimiter, RateLimiterClosed

BULK = RateLimitArgs(priority=Priority.BULK)
# RetryAfter(timedelta) warns about PTB's own int/timedelta transition.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@dataclass
class Recorder:
    """A fake Telegram: records when each request started and ended."""

    latency: float = 0.002
    calls: list[tuple[str, int | None, float, float]] = field(default_factory=list)
    fail: dict[str, list[Exception]] = field(default_factory=dict)
    started: int = 0
    finished: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def until(self, predicate) -> None:  # noqa: ANN001
        while not predicate():
            self._changed.clear()
            await self._changed.wait()

    def callback(self, tag: str, chat: int | None):  # noqa: ANN201
        async def call(*args: object, **kwargs: object) -> dict:
            start = time.monotonic()
            self.started += 1
            self._changed.set()
            await asyncio.sleep(self.latency)
            pending = self.fail.get(tag)
            if pending:
                self.calls.append((tag + "!", chat, start, time.monotonic()))
                raise pending.pop(0)
            self.calls.append((tag, chat, start, time.monotonic()))
            self.finished += 1
            self._changed.set()
            return {"ok": True}

        return call

    def starts(self, tag_prefix: str = "") -> list[float]:
        return sorted(c[2] for c in self.calls if c[0].startswith(tag_prefix))


async def send(
    limiter: RateLimiter,
    rec: Recorder,
    tag: str,
    chat: int | None,
    args: RateLimitArgs | None = None,
    endpoint: str = "sendMessage",
) -> object:
    return await limiter.process_request(
        rec.callback(tag, chat), (), {}, endpoint, {"chat_id": chat, "text": tag}, args
    )


def max_in_window(times: list[float], window: float) -> int:
    """Most events in any half-open window [t, t + window)."""
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


async def test_no_initial_burst_and_never_over_the_limit_in_any_window() -> None:
    limiter = RateLimiter(per_second=10, per_chat_seconds=0, window=0.5, bulk_burst=2)
    rec = Recorder()
    started = time.monotonic()
    await asyncio.gather(*(send(limiter, rec, f"b{i}", 1000 + i, BULK) for i in range(35)))
    elapsed = time.monotonic() - started
    starts = rec.starts()
    assert len(starts) == 35
    # The limit: never more than 10 in any 0.5 s window (exact; AIORateLimiter sends 2x that).
    assert max_in_window(starts, 0.5) <= 10
    # Smooth: the bucket lets out at most burst + pace * t (pace: 1.25 × 20/s), so no
    # 10-at-once at the start.
    first_quarter = [t for t in starts if t - starts[0] < 0.25]
    assert len(first_quarter) <= 2 + 6 + 1
    # 35 requests at 20/s take at least 1.5 s (3 full windows) and, loosely, not forever.
    assert 1.5 <= elapsed < 6


async def test_bulk_pacing_can_catch_up_but_stays_smooth() -> None:
    """The bucket paces bulk at 1.25 × the limit: slots the window has free are taken faster
    than the limit's average rate (a lane that was late catches up; at exactly the limit it
    never could), still one by one, and the window stays the limit."""
    limiter = RateLimiter(per_second=40, per_chat_seconds=0, window=1.0, bulk_burst=2)
    rec = Recorder(latency=0.001)
    await asyncio.gather(*(send(limiter, rec, f"b{i}", 2000 + i, BULK) for i in range(40)))
    starts = rec.starts()
    assert max_in_window(starts, 1.0) <= 40
    # Never a burst: the i-th request no earlier than the bucket's pace allows (lateness of the
    # event loop only delays, so this bound is exact).
    pace = 1.25 * 40
    for i, t in enumerate(starts):
        assert t - starts[0] >= (i - 2) / pace - 0.005
    # Faster than the limit's own pace: at exactly 40/s the 40th would start no sooner than
    # 38 / 40 = 0.95 s after the first; at 50/s it starts after 0.76 s.
    assert starts[-1] - starts[0] < 0.9


async def test_interactive_requests_burst_within_the_window_only() -> None:
    limiter = RateLimiter(per_second=5, per_chat_seconds=1.0, window=0.3)
    rec = Recorder()
    await asyncio.gather(*(send(limiter, rec, f"i{i}", 7) for i in range(12)))
    starts = rec.starts()
    assert max_in_window(starts, 0.3) <= 5
    # Replies to one chat are not spaced a second apart: 12 of them take well under 12 s.
    assert starts[-1] - starts[0] < 2.0


async def test_bulk_messages_to_one_chat_are_spaced() -> None:
    limiter = RateLimiter(per_second=100, per_chat_seconds=0.15)
    rec = Recorder()
    await asyncio.gather(*(send(limiter, rec, f"b{i}", 5, BULK) for i in range(4)))
    calls = sorted(rec.calls, key=lambda c: c[2])
    for previous, following in zip(calls, calls[1:], strict=False):
        assert following[2] >= previous[3] + 0.15  # starts 0.15 s after the last one's answer


async def test_interactive_reply_waits_for_a_broadcast_message_to_the_same_chat() -> None:
    limiter = RateLimiter(per_second=100, per_chat_seconds=0.15)
    rec = Recorder()
    await send(limiter, rec, "bulk", 5, BULK)
    await send(limiter, rec, "reply", 5)
    await send(limiter, rec, "reply2", 5)
    bulk, reply, reply2 = sorted(rec.calls, key=lambda c: c[2])
    assert reply[2] >= bulk[3] + 0.15
    assert reply2[2] - reply[3] < 0.15  # but replies among themselves are not spaced


async def test_bulk_spacing_does_not_block_other_chats() -> None:
    limiter = RateLimiter(per_second=100, per_chat_seconds=0.3)
    rec = Recorder()
    await send(limiter, rec, "first", 1, BULK)
    # Chat 1 is not ready for 0.3 s; chat 2 queued behind it goes at once.
    await asyncio.gather(send(limiter, rec, "again", 1, BULK), send(limiter, rec, "other", 2, BULK))
    by_tag = {c[0]: c for c in rec.calls}
    assert by_tag["other"][2] < by_tag["again"][2]
    assert by_tag["again"][2] >= by_tag["first"][3] + 0.3


async def test_429_holds_only_that_chat_and_the_message_is_retried() -> None:
    limiter = RateLimiter(per_second=100, per_chat_seconds=0)
    rec = Recorder(fail={"a": [RetryAfter(timedelta(seconds=0.3))]})
    result = await asyncio.gather(
        send(limiter, rec, "a", 1, RateLimitArgs(priority=Priority.BULK)),
        *(send(limiter, rec, f"b{i}", 10 + i, BULK) for i in range(5)),
    )
    assert result[0] == {"ok": True}  # retried, not lost
    refused = next(c for c in rec.calls if c[0] == "a!")
    retried = next(c for c in rec.calls if c[0] == "a")
    assert retried[2] >= refused[3] + 0.3
    # Other chats were not paused by chat 1's 429.
    assert all(c[2] < refused[3] + 0.3 for c in rec.calls if c[0].startswith("b"))
    assert limiter.stats["bulk_429"] == 1


async def test_interactive_429_is_retried_after_retry_after() -> None:
    limiter = RateLimiter(per_second=100, per_chat_seconds=1.0)
    rec = Recorder(fail={"r": [RetryAfter(timedelta(seconds=0.2))]})
    assert await send(limiter, rec, "r", 3) == {"ok": True}
    refused, retried = sorted(rec.calls, key=lambda c: c[2])
    assert retried[2] >= refused[3] + 0.2


async def test_bulk_sender_can_take_the_429_itself() -> None:
    limiter = RateLimiter(per_second=100)
    rec = Recorder(fail={"a": [RetryAfter(timedelta(seconds=5))]})
    with pytest.raises(RetryAfter):
        await send(limiter, rec, "a", 1, RateLimitArgs(priority=Priority.BULK, retry_429=False))
    # ... and the chat stays on hold for everyone meanwhile (checked without waiting 5 s).
    assert limiter._ready_at(1, Priority.BULK, time.monotonic()) > time.monotonic() + 4


async def test_interactive_goes_before_queued_broadcast_messages() -> None:
    limiter = RateLimiter(per_second=5, per_chat_seconds=0, window=0.4, bulk_burst=5)
    rec = Recorder()
    bulk = [asyncio.create_task(send(limiter, rec, f"b{i:02d}", 100 + i, BULK)) for i in range(15)]
    await rec.until(lambda: rec.finished >= 5)  # the window is full of broadcast messages
    await send(limiter, rec, "reply", 42)
    await asyncio.gather(*bulk)
    order = [c[0] for c in sorted(rec.calls, key=lambda c: c[2])]
    assert order.index("reply") == 5, order  # the very next free slot, ahead of 10 waiting


async def test_many_refusals_pause_the_bulk_lane_not_interactive() -> None:
    limiter = RateLimiter(per_second=1000, per_chat_seconds=0)
    for _ in range(20):
        limiter._note_bulk(refused=True, retry_after=0.5)
    assert limiter._bulk_paused_until > time.monotonic()
    rec = Recorder()
    started = time.monotonic()
    await send(limiter, rec, "reply", 1)
    assert time.monotonic() - started < 0.3
    await send(limiter, rec, "bulk", 2, BULK)
    assert rec.starts("bulk")[0] >= started + 0.3


async def test_random_5_percent_429_loses_nothing() -> None:
    limiter = RateLimiter(per_second=200, per_chat_seconds=0)
    rec = Recorder(latency=0.001)
    for i in range(0, 60, 20):  # every 20th chat is refused once
        rec.fail[f"m{i}"] = [RetryAfter(timedelta(seconds=0.05))]
    results = await asyncio.gather(*(send(limiter, rec, f"m{i}", i, BULK) for i in range(60)))
    assert results == [{"ok": True}] * 60
    assert sorted(c[0] for c in rec.calls if not c[0].endswith("!")) == sorted(
        f"m{i}" for i in range(60)
    )


async def test_non_message_methods_are_not_delayed() -> None:
    limiter = RateLimiter(per_second=1, per_chat_seconds=1)
    rec = Recorder(latency=0)
    started = time.monotonic()
    for i in range(5):
        await send(limiter, rec, f"a{i}", None, endpoint="answerCallbackQuery")
    assert time.monotonic() - started < 0.5


async def test_shutdown_refuses_waiting_bulk_and_lets_in_flight_finish() -> None:
    limiter = RateLimiter(per_second=2, per_chat_seconds=0, window=10)
    rec = Recorder(latency=0.1)
    tasks = [asyncio.create_task(send(limiter, rec, f"b{i}", i, BULK)) for i in range(4)]
    await rec.until(lambda: rec.started >= 2)
    closing: list[bool] = []
    limiter.add_close_listener(lambda: closing.append(True))
    await limiter.shutdown()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert closing == [True]
    assert results[:2] == [{"ok": True}, {"ok": True}]  # in flight: finished
    assert all(isinstance(r, RateLimiterClosed) for r in results[2:])  # waiting: not sent
    assert len(rec.calls) == 2
    with pytest.raises(RateLimiterClosed):
        await send(limiter, rec, "late", 9, BULK)


async def test_before_send_runs_after_the_slot_is_granted() -> None:
    limiter = RateLimiter(per_second=2, per_chat_seconds=0, window=0.3, bulk_burst=2)
    rec = Recorder(latency=0)
    marks: list[float] = []

    async def mark() -> None:
        marks.append(time.monotonic())

    args = RateLimitArgs(priority=Priority.BULK, before_send=mark)
    await asyncio.gather(*(send(limiter, rec, f"b{i}", i, args) for i in range(4)))
    starts = rec.starts()
    assert len(marks) == 4
    # Each mark is right before its request, never while it still waited for a slot.
    for m, s in zip(sorted(marks), starts, strict=True):
        assert 0 <= s - m < 0.05


async def test_forgotten_chats_keep_memory_flat() -> None:
    limiter = RateLimiter(per_second=500, per_chat_seconds=0.05, window=0.1)
    rec = Recorder(latency=0)
    for batch in range(4):
        await asyncio.gather(*(send(limiter, rec, "x", batch * 500 + i, BULK) for i in range(500)))
        assert limiter.tracked_chats <= 1000
        await asyncio.sleep(0.06)
    limiter._prune(time.monotonic())
    assert limiter.tracked_chats == 0

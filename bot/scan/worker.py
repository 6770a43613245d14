"""Decoding photos off the event loop: a small thread pool, a time limit, one photo per user at once.

* zxing-cpp and Pillow release the GIL while they work, so a thread is enough: the event loop
  keeps answering other users while a photo is decoded (benchmarks/scan.py measures it).
* At most ``workers`` photos are decoded at once; more wait their turn in asyncio (not in the
  pool), so the time limit counts only the decoding itself.
* A photo that takes longer than ``timeout`` seconds is given up: the caller gets
  :data:`TIMED_OUT` at once. The thread cannot be interrupted; it finishes in the background and
  keeps its pool slot until then, so a run of slow photos cannot pile up threads.
* :meth:`Scanner.spawn` runs a job (download, decode, answer) as a background task, after the
  user's earlier jobs: a user's album is read photo by photo, in order, while other users'
  updates go on being handled. :meth:`Scanner.drain` waits for every job (tests, shutdown).
  :meth:`Scanner.run` is the same, awaited: for a caller whose updates are already handled
  chat by chat in parallel (the durable inbox), so that an update is finished only once its
  photo is answered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any

from bot.scan.decode import Code, ImageProblem, Limits, read_codes

log = logging.getLogger(__name__)


class Timeout(StrEnum):
    TIMED_OUT = "timed_out"


TIMED_OUT = Timeout.TIMED_OUT


class Scanner:
    def __init__(
        self,
        limits: Limits,
        *,
        workers: int = 2,
        timeout: float = 15.0,
        create_task: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]] | None = None,
    ) -> None:
        """``create_task``: how jobs are started (PTB's ``Application.create_task``, so that
        stopping the bot waits for the photos being read); the running loop's by default."""
        self.limits = limits
        self._create_task = create_task
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan")
        self._slots = asyncio.Semaphore(workers)
        self._jobs: set[asyncio.Task[None]] = set()
        self._user_locks: dict[int, asyncio.Lock] = {}
        self._user_jobs: dict[int, int] = {}

    async def read(self, data: bytes) -> list[Code] | ImageProblem | Timeout:
        """Decode one photo in the pool (see the module's rules)."""
        await self._slots.acquire()
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._pool, read_codes, data, self.limits)
        except BaseException:
            self._slots.release()
            raise
        # The slot is free only when the thread is, even after a time-out.
        future.add_done_callback(lambda _f: self._slots.release())
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except TimeoutError:
            log.warning("a photo took over %.0f s to decode; given up", self.timeout)
            return TIMED_OUT

    async def run(self, user_id: int, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` now, after this user's earlier jobs (awaited by the caller)."""
        lock = self._user_locks.setdefault(user_id, asyncio.Lock())
        self._user_jobs[user_id] = self._user_jobs.get(user_id, 0) + 1
        try:
            async with lock:
                await job()
        finally:
            self._user_jobs[user_id] -= 1
            if not self._user_jobs[user_id]:
                del self._user_jobs[user_id]
                self._user_locks.pop(user_id, None)

    def spawn(self, user_id: int, job: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run ``job`` in the background, after this user's earlier jobs."""

        async def run() -> None:
            try:
                await self.run(user_id, job)
            except Exception:  # the job reports its own errors; this is the last resort
                log.exception("scan job of user %s failed", user_id)

        if self._create_task is not None:
            task = self._create_task(run())
        else:
            task = asyncio.get_running_loop().create_task(run(), name=f"scan-{user_id}")
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return task

    @property
    def busy(self) -> int:
        """Jobs not finished yet."""
        return len(self._jobs)

    async def drain(self) -> None:
        """Wait until every job spawned so far (and any they spawned) has finished."""
        while self._jobs:
            await asyncio.gather(*list(self._jobs), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()
        self._pool.shutdown(wait=False, cancel_futures=True)

"""The holding sweep on PTB's JobQueue: once at start-up, then every ``SWEEP_SECONDS``.

The work is found in the database (``bot.services.holding.sweep``), never kept in memory, so
a restart loses nothing: whatever fell due while the bot was down is done by the sweep at
start-up, once (each item is claimed in the transaction that queues its message).
"""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from bot.handlers.context import SERVICES_KEY
from bot.services import holding
from bot.services.context import Services

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0
JOB_NAME = "holding-sweep"


async def run_sweep(svc: Services) -> holding.SweepReport | None:
    """One sweep; a failure is logged and the next sweep tries again (nothing was half done:
    each claim is its own transaction)."""
    try:
        report = await holding.sweep(svc)
    except Exception:
        log.exception("holding sweep failed; the next one retries")
        return None
    if report.queued or report.expired_parcels or report.summaries_skipped:
        log.info("holding sweep: %s", report)
    return report


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc: Services | None = context.application.bot_data.get(SERVICES_KEY)
    if svc is not None:
        await run_sweep(svc)


def register(app: Application) -> None:
    """No handlers: the sweep is scheduled at start-up."""


async def on_startup(app: Application) -> None:
    await run_sweep(app.bot_data[SERVICES_KEY])
    if app.job_queue is None:  # PTB installed without the job-queue extra
        log.warning("no JobQueue: the holding sweep runs only at start-up")
        return
    app.job_queue.run_repeating(_job, interval=SWEEP_SECONDS, first=SWEEP_SECONDS,
                                name=JOB_NAME)

"""What broadcasts look like: the notice a recipient gets, the admin's progress and report."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import outbox
from bot.handlers.callbacks import pack
from bot.handlers.context import h_cut
from bot.i18n import LANGUAGE_NAMES, Translator, translator
from bot.i18n.formatting import format_number
from bot.services.audiences import Audience, AudienceKind
from bot.services.broadcast import Counts, text_for
from bot.storage.broadcasts import REPORT_KIND

FEATURE = "bc"


def notice_text(texts: dict[str, str], lang: str) -> str:
    """The message a recipient reading ``lang`` gets: a header in their language, the text."""
    t = translator(lang)
    header = t.gettext("📢 <b>Notice from the Kirana Partner team</b>")
    return f"{header}\n\n{text_for(texts, lang)}"


def audience_label(t: Translator, audience: Audience | None) -> str:
    if audience is None:
        return "?"
    if audience.kind == AudienceKind.STORES:
        return t.gettext("All approved stores")
    if audience.kind == AudienceKind.CITY:
        return t.gettext("Stores in {city}").format(city=h_cut(audience.arg))
    if audience.kind == AudienceKind.PIN:
        return t.gettext("Stores with a PIN code starting {prefix}").format(prefix=audience.arg)
    if audience.kind == AudienceKind.LANGUAGE:
        return t.gettext("Stores whose owner reads {language}").format(
            language=LANGUAGE_NAMES.get(audience.arg, audience.arg))
    return t.gettext("All linked customers")


def counts_text(t: Translator, counts: Counts, *, final: bool) -> str:
    def n(value: int) -> str:
        return format_number(value, t.lang)

    lines = [
        t.gettext("Sent: {sent} · Failed: {failed} · Blocked the bot: {blocked}").format(
            sent=n(counts.sent), failed=n(counts.failed), blocked=n(counts.blocked))
    ]
    if not final:
        lines.append(t.gettext("Left: {left}").format(left=n(counts.left)))
    if counts.cancelled:
        lines.append(t.gettext("Not sent (stopped): {count}").format(count=n(counts.cancelled)))
    if counts.unknown:
        lines.append(t.ngettext(
            "Unknown: {count} (the bot restarted while sending it; it was not sent again)",
            "Unknown: {count} (the bot restarted while sending these; they were not sent again)",
            counts.unknown).format(count=n(counts.unknown)))
    return "\n".join(lines)


def progress_text(
    t: Translator, broadcast_id: int, counts: Counts, *, stopping: bool,
    waits_for: int | None = None,
) -> str:
    if waits_for is not None:
        head = t.gettext(
            "📢 <b>Broadcast #{id}</b>: waiting until broadcast #{other} is sent…"
        ).format(id=broadcast_id, other=waits_for)
    elif stopping:
        head = t.gettext("📢 <b>Broadcast #{id}</b>: stopping…").format(id=broadcast_id)
    else:
        head = t.gettext("📢 <b>Broadcast #{id}</b>: sending…").format(id=broadcast_id)
    return f"{head}\n{counts_text(t, counts, final=False)}"


def report_text(t: Translator, broadcast_id: int, counts: Counts, *, stopped: bool) -> str:
    if stopped:
        head = t.gettext("⏹ <b>Broadcast #{id}</b> was stopped.").format(id=broadcast_id)
    else:
        head = t.gettext("✅ <b>Broadcast #{id}</b> is finished.").format(id=broadcast_id)
    return f"{head}\n{counts_text(t, counts, final=True)}"


def stop_keyboard(t: Translator, broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("⏹ Stop sending"),
                               callback_data=pack(FEATURE, "stop", broadcast_id))]]
    )


@outbox.renderer(REPORT_KIND)
async def render_report(ctx: outbox.RenderContext, payload: dict) -> outbox.OutMessage:
    """The final report to the admin who sent the broadcast (queued with the final counts)."""
    return outbox.OutMessage(report_text(ctx.t, payload["broadcast_id"],
                                         Counts.of(payload["counts"]), stopped=payload["stopped"]))

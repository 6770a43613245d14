"""Admin: a courier manifest sent to the bot as a CSV document; the report rendering (bot + CLI)."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import PurePath

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.domain import MessageRef
from bot.handlers import router, start
from bot.handlers.context import Who, h_cut, services, who
from bot.handlers.router import answer_unknown
from bot.i18n import Translator
from bot.i18n.formatting import format_date, format_number
from bot.services import manifest_import
from bot.services.manifest import (
    HEADER,
    MAX_BYTES,
    NAME_MAX,
    FileProblem,
    RejectedFile,
    RowError,
    RowProblem,
)
from bot.services.manifest_import import ImportProblem, ImportReport, deep_link

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
PRIVATE = filters.ChatType.PRIVATE
ERRORS_SHOWN = 10
SPREADSHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods", ".numbers"}
TEXT_EXTENSIONS = {".csv", ".txt"}
# Windows sends .csv files as application/vnd.ms-excel; some phones as octet-stream.
CSV_TYPES = {"text/csv", "text/plain", "text/comma-separated-values", "application/csv",
             "application/vnd.ms-excel", "application/octet-stream", ""}


# --------------------------------------------------------------------------- rendering


def render_rejected(t: Translator, rejected: RejectedFile) -> str:
    _ = t.gettext
    header = f"<code>{HEADER}</code>"
    texts = {
        FileProblem.EMPTY: _("The file is empty."),
        FileProblem.TOO_LARGE: _("The file is larger than {size} MB. Split it into smaller "
                                 "files and send them one by one.").format(
            size=MAX_BYTES // (1024 * 1024)),
        FileProblem.SPREADSHEET: _("This is a spreadsheet workbook (Excel), not a CSV file. In "
                                   "Excel choose File → Save As → “CSV UTF-8 (comma "
                                   "delimited)” and send that file."),
        FileProblem.NOT_CSV: _("This does not look like a CSV file. Send a CSV file whose "
                               "first line is: {header}").format(header=header),
        FileProblem.WRONG_ENCODING: _("The file is not in UTF-8 (the problem is on line "
                                      "{line}). Save it as “CSV UTF-8” and send it again.")
        .format(line=h_cut(rejected.detail or "1")),
        FileProblem.SEMICOLONS: _("The columns are separated by semicolons (;). Save the file "
                                  "with commas, as “CSV UTF-8 (comma delimited)”, and send it "
                                  "again."),
        FileProblem.MISSING_COLUMNS: _("The first line is missing the column(s) {columns}. It "
                                       "must be: {header}").format(
            columns=h_cut(rejected.detail.replace(",", ", ")), header=header),
        FileProblem.NO_ROWS: _("The file has a header line but no parcels."),
    }
    return "❌ " + texts[rejected.problem] + "\n" + _("Nothing was loaded.")


def render_row_error(t: Translator, error: RowError) -> str:
    _ = t.gettext
    value = h_cut(error.value)
    texts = {
        RowProblem.MISSING_FIELD: _("{column} is empty").format(column=h_cut(error.column)),
        RowProblem.BAD_TRACKING_ID: _("“{value}” is not a tracking id (8–30 letters, digits or "
                                      "-)").format(value=value),
        RowProblem.BAD_PHONE: _("“{value}” is not an Indian mobile number").format(value=value),
        RowProblem.NAME_TOO_LONG: _("the customer name is longer than {limit} characters")
        .format(limit=NAME_MAX),
        RowProblem.BROKEN_QUOTES: _("a quote mark (\") is not closed, so the lines after it "
                                    "ran together; fix it and load the file again"),
        RowProblem.DUPLICATE_IN_FILE: _("tracking id {value} is already on line {other}")
        .format(value=value, other=error.other_line),
        RowProblem.UNKNOWN_STORE: _("no approved store has the code {value}").format(
            value=value),
        RowProblem.CONFLICT: _("tracking id {value} is already recorded for another store or "
                               "mobile number").format(value=value),
    }
    return _("line {line}: {problem}").format(line=error.line, problem=texts[error.problem])


def render_report(t: Translator, report: ImportReport, *, errors_shown: int = ERRORS_SHOWN) -> str:
    _ = t.gettext
    lang = t.lang
    lines = [
        t.ngettext("📄 Manifest <b>{file}</b>: {rows} row", "📄 Manifest <b>{file}</b>: {rows} rows",
                   report.rows_total).format(
            file=h_cut(report.file_name), rows=format_number(report.rows_total, lang)),
        _("✅ Loaded: {count}").format(count=format_number(report.loaded, lang)),
        _("⏭ Already loaded before, skipped: {count}").format(
            count=format_number(report.skipped, lang)),
        _("⚠️ Errors: {count}").format(count=format_number(len(report.errors), lang)),
    ]
    if report.nothing_new:
        lines += ["", _("Nothing new: every parcel in this file was already loaded.")]
    if report.loaded_before is not None:
        lines.append(_("This same file was loaded before, on {date}.").format(
            date=format_date(report.loaded_before.date(), lang)))
    if report.errors:
        lines += ["", _("Rows with errors (not loaded):")]
        lines += [render_row_error(t, e) for e in report.errors[:errors_shown]]
        if len(report.errors) > errors_shown:
            lines.append(_("and {count} more").format(
                count=format_number(len(report.errors) - errors_shown, lang)))
        if report.loaded:
            lines.append(_("The other rows were loaded. Fix these rows and send the file again: "
                           "rows already loaded are skipped."))
        else:
            lines.append(_("Fix these rows and send the file again: rows already loaded are "
                           "skipped."))
    return "\n".join(lines)


def links_csv(bot_username: str, links: list[tuple[str, str]]) -> bytes:
    """``tracking_id,deep_link`` rows, UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["tracking_id", "deep_link"])
    for tracking_id, token in links:
        writer.writerow([tracking_id, deep_link(bot_username, token)])
    return out.getvalue().encode("utf-8")


# ----------------------------------------------------------------------------- upload


def _precheck(file_name: str, mime_type: str, size: int | None) -> RejectedFile | None:
    """What the document's name, type and size already tell, before downloading it."""
    if size is not None and size > MAX_BYTES:
        return RejectedFile(FileProblem.TOO_LARGE)
    suffix = PurePath(file_name).suffix.lower()
    if suffix in SPREADSHEET_EXTENSIONS:
        return RejectedFile(FileProblem.SPREADSHEET)
    if suffix not in TEXT_EXTENSIONS and mime_type.lower() not in CSV_TYPES:
        return RejectedFile(FileProblem.NOT_CSV)
    return None


async def on_document(update: Update, context: Context) -> None:
    w = await who(update, context)
    svc = services(context)
    if not svc.settings.is_admin(w.user.user_id):
        await router.route_message(update, context)  # a file is not something we expect
        return
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    file_name = document.file_name or "manifest.csv"
    rejected = _precheck(file_name, document.mime_type or "", document.file_size)
    if rejected is not None:
        await message.reply_text(render_rejected(w.t, rejected))
        return
    progress = await message.reply_text(w._("⏳ Loading {file}…").format(file=h_cut(file_name)))
    try:
        telegram_file = await context.bot.get_file(document.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("could not download manifest %r: %s", file_name, exc)
        await progress.edit_text(w._("❌ I could not download the file. Please send it again."))
        return
    result = await manifest_import.import_manifest(
        svc, data, file_name, actor_id=w.user.user_id, source="bot",
        message=MessageRef(message.chat_id, message.message_id))
    if result is ImportProblem.NOT_ADMIN:  # the admin list changed meanwhile
        await progress.edit_text(w._("This is for admins only."))
        return
    if isinstance(result, RejectedFile):
        await progress.edit_text(render_rejected(w.t, result))
        return
    assert isinstance(result, ImportReport)
    await progress.edit_text(render_report(w.t, result))
    if result.loaded and context.bot.username:
        stem = PurePath(file_name).stem or "manifest"
        await message.reply_document(
            InputFile(links_csv(context.bot.username, result.links),
                      filename=f"{stem}-links.csv"),
            caption=w._("Deep links for the SMS or printed slips: tracking_id, deep_link."))


async def manifest_action(update: Update, context: Context, w: Who) -> None:
    """Admin menu: how to load a manifest."""
    if not services(context).settings.is_admin(w.user.user_id):
        await answer_unknown(update, w)
        return
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(w._(
        "📄 Send me the manifest as a CSV file (UTF-8, at most {size} MB). The first line must "
        "be:\n{header}\nThe customer name may be empty; other columns are ignored. Each good "
        "row becomes an expected parcel; I report every bad row with its line number."
    ).format(size=MAX_BYTES // (1024 * 1024), header=f"<code>{HEADER}</code>"))


start.MENU_ACTIONS["manifest"] = manifest_action


def register(app: Application) -> None:
    app.add_handler(MessageHandler(
        filters.UpdateType.MESSAGE & PRIVATE & filters.Document.ALL, on_document))

"""Reading a courier manifest (CSV) into rows and per-line problems. Pure: bytes in, values out.

The file: a header naming ``tracking_id``, ``store_code``, ``customer_phone`` and optionally
``customer_name`` (any order, any case, spaces for underscores; extra columns ignored), then one
parcel per line. UTF-8 with or without a BOM; Windows, Unix or old-Mac line endings; fields may be
quoted (``"Sharma, Priya"``, ``"Priya ""Pinky"" Sharma"``); blank lines are skipped.

Two kinds of trouble, both values:

* :class:`RejectedFile` — the file as a whole cannot be read (not CSV, a spreadsheet, over 5 MB,
  not UTF-8, no usable header). Nothing from it is loaded.
* :class:`RowError` — one line is wrong (missing field, bad tracking id or mobile, a tracking id
  repeated in the file, ...). It is reported with its line number; the good lines still load.

Line numbers are the file's physical lines, counting the header and blank lines, as a text editor
or spreadsheet shows them; a row whose quoted field spans lines is numbered by its first line.
Customer names are kept as written (Devanagari included): only surrounding and repeated
whitespace is tidied, no Unicode normalisation that could change the letters.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot.validation import Invalid, parse_mobile, parse_tracking_id

MAX_BYTES = 5 * 1024 * 1024
NAME_MAX = 100
REQUIRED_COLUMNS = ("tracking_id", "store_code", "customer_phone")
OPTIONAL_COLUMNS = ("customer_name",)
HEADER = ",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)

_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_STORE_CODE = re.compile(r"([A-Z]{2})-?0*([0-9]{1,9})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FileProblem(StrEnum):
    EMPTY = "empty"                      # no bytes, or only blank lines
    TOO_LARGE = "too_large"              # over MAX_BYTES
    SPREADSHEET = "spreadsheet"          # an .xlsx / .xls / .ods workbook, not CSV
    NOT_CSV = "not_csv"                  # binary content, or not parseable as CSV
    WRONG_ENCODING = "wrong_encoding"    # not UTF-8 (detail: the line of the first bad byte)
    SEMICOLONS = "semicolons"            # separated by ';' (a regional Excel setting)
    MISSING_COLUMNS = "missing_columns"  # detail: the missing column names, comma-separated
    NO_ROWS = "no_rows"                  # a header and nothing else


class RowProblem(StrEnum):
    MISSING_FIELD = "missing_field"      # column: which one
    BAD_TRACKING_ID = "bad_tracking_id"
    BAD_PHONE = "bad_phone"
    NAME_TOO_LONG = "name_too_long"
    BROKEN_QUOTES = "broken_quotes"      # a quote opened and never closed: lines run together
    DUPLICATE_IN_FILE = "duplicate"      # other_line: where the same tracking id came first
    # Found when loading (they need the database):
    UNKNOWN_STORE = "unknown_store"      # no approved store has this code
    CONFLICT = "conflict"                # tracking id already recorded with another store/mobile


@dataclass(frozen=True, slots=True)
class RejectedFile:
    problem: FileProblem
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ManifestRow:
    line: int
    tracking_id: str       # upper-case, validated
    store_code: str        # upper-case; KS-42 and ks0042 read as KS-0042
    phone: str             # E.164
    name: str | None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    problem: RowProblem
    value: str = ""        # the offending text, trimmed (for the report)
    column: str = ""       # MISSING_FIELD: the column
    other_line: int = 0    # DUPLICATE_IN_FILE: the first line with this tracking id


@dataclass
class ParsedManifest:
    rows: list[ManifestRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0    # data rows read, blank lines not counted


def normalise_store_code(text: str) -> str:
    """``ks-42``, ``KS0042``, `` KS-0042 `` → ``KS-0042``; anything else upper-cased as it is."""
    s = text.strip().upper()
    match = _STORE_CODE.fullmatch(s)
    if match:
        return f"{match.group(1)}-{int(match.group(2)):04d}"
    return s


def clean_name(text: str) -> str:
    """A customer name as written: control characters dropped, whitespace runs made one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _column_key(name: str) -> str:
    return "_".join(name.replace("\ufeff", "").strip().lower().replace("-", " ").split())


def _short(value: str, limit: int = 40) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def decode(data: bytes) -> str | RejectedFile:
    """The file's text, or why it cannot be read as a UTF-8 CSV."""
    if len(data) > MAX_BYTES:
        return RejectedFile(FileProblem.TOO_LARGE)
    if not data.strip():
        return RejectedFile(FileProblem.EMPTY)
    if data.startswith(_SPREADSHEET_MAGIC):
        return RejectedFile(FileProblem.SPREADSHEET)
    if data.startswith(_UTF16_BOMS):
        return RejectedFile(FileProblem.WRONG_ENCODING, "1")
    if b"\x00" in data:
        return RejectedFile(FileProblem.NOT_CSV)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return RejectedFile(FileProblem.WRONG_ENCODING, str(line))


def parse_manifest(data: bytes) -> ParsedManifest | RejectedFile:
    """Read a manifest file: every good row, and every bad row with its line number and reason."""
    text = decode(data)
    if isinstance(text, RejectedFile):
        return text
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        return _read(reader)
    except csv.Error:
        return RejectedFile(FileProblem.NOT_CSV, str(reader.line_num))


def _read(reader) -> ParsedManifest | RejectedFile:  # noqa: ANN001 - csv reader object
    header: dict[str, int] | None = None
    out = ParsedManifest()
    first_seen: dict[str, int] = {}
    lines_read = 0
    for row in reader:
        line = lines_read + 1  # where this record starts
        spans_lines = reader.line_num - lines_read > 1
        lines_read = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = {}
            for index, cell in enumerate(row):
                header.setdefault(_column_key(cell), index)
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                if len(row) == 1 and ";" in row[0]:
                    return RejectedFile(FileProblem.SEMICOLONS)
                return RejectedFile(FileProblem.MISSING_COLUMNS, ",".join(missing))
            continue
        out.total_rows += 1
        result = _row(row, header, line, spans_lines=spans_lines)
        if isinstance(result, RowError):
            out.errors.append(result)
            continue
        first = first_seen.get(result.tracking_id)
        if first is not None:
            out.errors.append(RowError(line, RowProblem.DUPLICATE_IN_FILE,
                                       result.tracking_id, other_line=first))
            continue
        first_seen[result.tracking_id] = line
        out.rows.append(result)
    if header is None:
        return RejectedFile(FileProblem.EMPTY)
    if out.total_rows == 0:
        return RejectedFile(FileProblem.NO_ROWS)
    return out


def _runs_together(row: list[str], header: dict[str, int]) -> bool:
    """A quote left open swallows the following lines into one field: catch that.

    A line break inside one of our columns is always that mistake; inside an ignored column it
    is taken as one when what follows the break looks like more CSV rows (has a comma).
    """
    ours = {header[c] for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in header}
    for index, value in enumerate(row):
        broken = "\n" in value or "\r" in value
        if broken and (index in ours or "," in value.split("\n", 1)[-1]):
            return True
    return False


def _row(row: list[str], header: dict[str, int], line: int,
         *, spans_lines: bool) -> ManifestRow | RowError:
    def cell(column: str) -> str:
        index = header.get(column)
        return row[index] if index is not None and index < len(row) else ""

    if spans_lines and _runs_together(row, header):
        return RowError(line, RowProblem.BROKEN_QUOTES)
    values = {c: cell(c).strip() for c in REQUIRED_COLUMNS}
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            return RowError(line, RowProblem.MISSING_FIELD, column=column)
    tracking = parse_tracking_id(values["tracking_id"])
    if isinstance(tracking, Invalid):
        return RowError(line, RowProblem.BAD_TRACKING_ID, _short(values["tracking_id"]))
    phone = parse_mobile(values["customer_phone"])
    if isinstance(phone, Invalid):
        return RowError(line, RowProblem.BAD_PHONE, _short(values["customer_phone"]))
    name = clean_name(cell("customer_name"))
    if len(name) > NAME_MAX:
        return RowError(line, RowProblem.NAME_TOO_LONG, _short(name))
    return ManifestRow(
        line=line,
        tracking_id=tracking.value,
        store_code=normalise_store_code(values["store_code"]),
        phone=phone.value,
        name=name or None,
    )

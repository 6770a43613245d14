"""Reading manifests: the corpus of good and bad files in tests/manifest_corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.manifest import (
    MAX_BYTES,
    FileProblem,
    ParsedManifest,
    RejectedFile,
    RowProblem,
    decode,
    normalise_store_code,
    parse_manifest,
)

CORPUS = Path(__file__).resolve().parents[1] / "manifest_corpus"


def parse(name: str) -> ParsedManifest | RejectedFile:
    return parse_manifest((CORPUS / name).read_bytes())


def rows(name: str) -> ParsedManifest:
    result = parse(name)
    assert isinstance(result, ParsedManifest), result
    return result


def test_plain_file() -> None:
    m = rows("good_plain.csv")
    assert m.total_rows == 2 and not m.errors
    first, second = m.rows
    assert (first.line, first.tracking_id, first.store_code, first.phone, first.name) == (
        2, "TRK10000001", "KS-0001", "+919876543210", "Priya Sharma")
    assert (second.phone, second.name) == ("+919822012345", None)


def test_bom_and_windows_line_endings() -> None:
    m = rows("good_bom_crlf.csv")
    assert not m.errors
    assert [(r.line, r.tracking_id, r.store_code, r.phone, r.name) for r in m.rows] == [
        (2, "TRK10000001", "KS-0001", "+919876543210", "Priya Sharma"),
        (3, "TRK10000002", "KS-0001", "+919822012345", "Anil"),
    ]


def test_old_mac_line_endings() -> None:
    m = rows("good_old_mac_cr.csv")
    assert [r.line for r in m.rows] == [2, 3] and not m.errors


def test_quotes_and_commas_in_names() -> None:
    m = rows("good_quotes_commas.csv")
    assert [r.name for r in m.rows] == ["Sharma, Priya", 'Anil "Bunty" Patil, Jr.']
    assert not m.errors


def test_empty_lines_are_skipped_and_line_numbers_stay_true() -> None:
    m = rows("good_empty_lines.csv")
    assert not m.errors
    assert m.total_rows == 2
    assert [(r.line, r.tracking_id) for r in m.rows] == [(4, "TRK10000001"), (8, "TRK10000002")]


def test_devanagari_names_are_kept_as_written() -> None:
    m = rows("good_devanagari.csv")
    assert not m.errors
    assert [r.name for r in m.rows] == ["प्रिया शर्मा", "अनिल पाटील", "\u0958\u093e\u0938\u093f\u092e"]
    assert m.rows[0].phone == "+919876543210"  # Devanagari digits read
    # क़ (U+0958) is kept as written, not decomposed by a Unicode normalisation (NFC/NFKC would
    # turn it into क + nukta).
    assert m.rows[2].name.startswith("\u0958")


def test_extra_columns_any_order_any_case() -> None:
    m = rows("good_extra_columns_reordered.csv")
    assert not m.errors
    assert [(r.tracking_id, r.phone, r.name) for r in m.rows] == [
        ("TRK10000001", "+919876543210", "Priya"), ("TRK10000002", "+919822012345", None)]


def test_name_column_is_optional() -> None:
    m = rows("good_no_name_column.csv")
    assert [r.name for r in m.rows] == [None]


def test_duplicate_tracking_ids_in_one_file() -> None:
    m = rows("rows_duplicates.csv")
    assert [r.tracking_id for r in m.rows] == ["TRK10000001", "TRK10000002"]
    (error,) = m.errors
    assert (error.line, error.problem, error.value, error.other_line) == (
        4, RowProblem.DUPLICATE_IN_FILE, "TRK10000001", 2)


def test_every_bad_row_is_reported_with_its_line_and_reason() -> None:
    m = rows("rows_bad_fields.csv")
    assert [r.line for r in m.rows] == [2, 8, 11]  # "TRK 10000007": the space is dropped
    assert m.total_rows == 10
    found = [(e.line, e.problem, e.value or e.column) for e in m.errors]
    assert found == [
        (3, RowProblem.BAD_TRACKING_ID, "SHORT"),
        (4, RowProblem.BAD_PHONE, "12345"),
        (5, RowProblem.MISSING_FIELD, "store_code"),
        (6, RowProblem.MISSING_FIELD, "customer_phone"),
        (7, RowProblem.MISSING_FIELD, "tracking_id"),
        (9, RowProblem.BAD_PHONE, "+1 415 555 0100"),
        (10, RowProblem.NAME_TOO_LONG, "x" * 39 + "…"),
    ]


def test_an_unclosed_quote_is_reported_not_silently_swallowing_rows() -> None:
    m = rows("rows_unclosed_quote.csv")
    assert [r.tracking_id for r in m.rows] == ["TRK10000001"]
    (error,) = m.errors
    assert (error.line, error.problem) == (3, RowProblem.BROKEN_QUOTES)


def test_a_quoted_line_break_in_an_ignored_column_is_fine() -> None:
    m = rows("rows_multiline_note.csv")
    assert [(r.line, r.tracking_id) for r in m.rows] == [(2, "TRK10000001"), (4, "TRK10000002")]
    assert not m.errors


@pytest.mark.parametrize(
    ("name", "problem", "detail"),
    [
        ("bad_empty.csv", FileProblem.EMPTY, ""),
        ("bad_blank_lines.csv", FileProblem.EMPTY, ""),
        ("bad_header_only.csv", FileProblem.NO_ROWS, ""),
        ("bad_missing_columns.csv", FileProblem.MISSING_COLUMNS, "store_code,customer_phone"),
        ("bad_no_header.csv", FileProblem.MISSING_COLUMNS,
         "tracking_id,store_code,customer_phone"),
        ("bad_semicolons.csv", FileProblem.SEMICOLONS, ""),
        ("bad_latin1.csv", FileProblem.WRONG_ENCODING, "2"),
        ("bad_utf16.csv", FileProblem.WRONG_ENCODING, "1"),
        ("bad_xlsx.csv", FileProblem.SPREADSHEET, ""),
        ("bad_xls.csv", FileProblem.SPREADSHEET, ""),
        ("bad_binary.csv", FileProblem.NOT_CSV, ""),
    ],
)
def test_files_refused_as_a_whole(name: str, problem: FileProblem, detail: str) -> None:
    assert parse(name) == RejectedFile(problem, detail)


def test_over_five_megabytes_is_refused_before_reading() -> None:
    header = b"tracking_id,store_code,customer_phone,customer_name\n"
    row = b"TRK10000001,KS-0001,9876543210,Priya\n"
    data = header + row * (MAX_BYTES // len(row) + 1)
    assert parse_manifest(data) == RejectedFile(FileProblem.TOO_LARGE)
    assert isinstance(decode(data[:MAX_BYTES]), str)  # exactly 5 MB is still read


def test_ten_thousand_rows() -> None:
    lines = ["tracking_id,store_code,customer_phone,customer_name"]
    lines += [f"TRK{i:08d},KS-{i % 7 + 1:04d},98{i:08d},Customer {i}" for i in range(10_000)]
    m = parse_manifest(("\r\n".join(lines) + "\r\n").encode())
    assert isinstance(m, ParsedManifest)
    assert m.total_rows == 10_000 and len(m.rows) == 10_000 and not m.errors
    assert m.rows[-1].line == 10_001
    assert m.rows[-1].phone == "+919800009999"


@pytest.mark.parametrize(
    ("given", "code"),
    [("KS-0042", "KS-0042"), ("ks-42", "KS-0042"), (" KS0042 ", "KS-0042"),
     ("KS-12345", "KS-12345"), ("store 9", "STORE 9")],
)
def test_store_codes_read_leniently(given: str, code: str) -> None:
    assert normalise_store_code(given) == code

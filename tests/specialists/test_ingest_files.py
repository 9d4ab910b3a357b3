"""Awkward files, generated here: each is read correctly (rows, canonical columns and the types
the catalog infers) or refused with a §31 code and a message naming the file; none ends in a
traceback, in the library or through the ``conduit`` CLI."""

from __future__ import annotations

import datetime
import gzip
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from core.errors import ConduitError
from specialists.ingest.catalog import catalog_table
from specialists.ingest.files import read_file, sniff
from tests.conftest import ROOT, CliRunner

Write = Callable[[Path], None]
PLAIN = "id,name,amount\n1,Ana,10.50\n2,Bo,7.00\n"
PLAIN_COLUMNS = ["id", "name", "amount"]
PLAIN_TYPES = ["integer", "string", "decimal(4,2)"]
PLAIN_FIRST: list[str | None] = ["1", "Ana", "10.50"]


@dataclass(frozen=True)
class Read:
    """What reading a file must give: its frame, and the catalog of that frame."""

    rows: int
    columns: list[str]
    types: list[str]
    first: list[str | None] = field(default_factory=list)
    ragged: int = 0


def _bytes(data: bytes) -> Write:
    def write(p: Path) -> None:
        p.write_bytes(data)

    return write


def _wide(p: Path) -> None:
    header = ",".join(f"c{i}" for i in range(2000))
    row = ",".join(str(i) for i in range(2000))
    p.write_text(f"{header}\n{row}\n{row}\n", encoding="utf-8")


def _gzip(data: bytes) -> Write:
    return _bytes(gzip.compress(data, mtime=0))


def _parquet(p: Path) -> None:
    pl.DataFrame(
        {
            "id": [1, 2],
            "Full Name": ["Ana", "Bo"],
            "amount": [10.5, 7.0],
            "when": [datetime.date(2024, 3, 15), None],
            "flag": [True, False],
            "at": [datetime.datetime(2024, 3, 15, 10, 30), datetime.datetime(2024, 3, 16)],
        }
    ).write_parquet(p)


def _many_rows(n: int) -> bytes:
    """Random-looking rows (they compress poorly, so a cut gzip is cut past the 64 KiB probe)."""
    rnd = random.Random(3)
    return ("id,value\n" + "".join(f"{i},{rnd.random()}\n" for i in range(n))).encode()


_BIG_GZIP = gzip.compress(_many_rows(100_000), mtime=0)

READS: dict[str, tuple[Write, Read]] = {
    "plain": (_bytes(PLAIN.encode()), Read(2, PLAIN_COLUMNS, PLAIN_TYPES, PLAIN_FIRST)),
    "utf8_bom": (
        _bytes(b"\xef\xbb\xbf" + PLAIN.encode()),
        Read(2, PLAIN_COLUMNS, PLAIN_TYPES, PLAIN_FIRST),
    ),
    "utf16_le_bom_tabs_excel": (
        _bytes(PLAIN.replace(",", "\t").encode("utf-16")),
        Read(2, PLAIN_COLUMNS, PLAIN_TYPES, PLAIN_FIRST),
    ),
    "utf16_be_bom": (
        _bytes("\ufeff".encode("utf-16-be") + PLAIN.replace(",", "\t").encode("utf-16-be")),
        Read(2, PLAIN_COLUMNS, PLAIN_TYPES, PLAIN_FIRST),
    ),
    "latin1_semicolons": (
        _bytes("id;nom;ville\n1;Zoë;Orléans\n".encode("latin-1")),
        Read(1, ["id", "nom", "ville"], ["integer", "string", "string"], ["1", "Zoë", "Orléans"]),
    ),
    "windows1252_smart_quotes": (
        _bytes("id;note\n1;“Zoë” paid €5\n".encode("cp1252")),
        Read(1, ["id", "note"], ["integer", "string"], ["1", "“Zoë” paid €5"]),
    ),
    # A decimal comma is not a decimal point: the catalog keeps such amounts as text.
    "semicolons_decimal_comma": (
        _bytes(b"id;amount\n1;10,50\n2;7,00\n"),
        Read(2, ["id", "amount"], ["integer", "string"], ["1", "10,50"]),
    ),
    "tsv": (
        _bytes(b"id\tname\n1\tAna\n2\tBo\n"),
        Read(2, ["id", "name"], ["integer", "string"], ["1", "Ana"]),
    ),
    "pipes": (
        _bytes(b"id|name\n1|Ana\n2|Bo\n"),
        Read(2, ["id", "name"], ["integer", "string"], ["1", "Ana"]),
    ),
    "quoted_newlines": (
        _bytes(b'id,note\n1,"line one\nline two"\n2,plain\n'),
        Read(2, ["id", "note"], ["integer", "string"], ["1", "line one\nline two"]),
    ),
    "quoted_delimiters_and_quotes": (
        _bytes(b'id,name\n1,"Lopez, Ana ""AJ"""\n2,Bo\n'),
        Read(2, ["id", "name"], ["integer", "string"], ["1", 'Lopez, Ana "AJ"']),
    ),
    "ragged_rows": (
        _bytes(b"a,b,c\n1,2\n3,4,5,6\n"),
        Read(2, ["a", "b", "c"], ["integer"] * 3, ["1", "2", None], ragged=2),
    ),
    "ragged_short_rows_only": (
        _bytes(b"a,b,c\n1,2\n4,5,6\n"),
        Read(2, ["a", "b", "c"], ["integer"] * 3, ["1", "2", None], ragged=1),
    ),
    "header_only": (_bytes(b"id,name\n"), Read(0, ["id", "name"], ["string", "string"])),
    "header_only_no_newline": (_bytes(b"id,name"), Read(0, ["id", "name"], ["string", "string"])),
    "duplicate_and_empty_headers": (
        _bytes(b"Name,name,NAME,\n1,2,3,4\n"),
        Read(1, ["name", "name_2", "name_3", "column_4"], ["integer"] * 4, ["1", "2", "3", "4"]),
    ),
    "padded_headers": (
        _bytes(b" Customer ID , E-Mail \n1,a@b.co\n"),
        Read(1, ["customer_id", "e_mail"], ["integer", "string"], ["1", "a@b.co"]),
    ),
    "crlf_and_blank_lines": (
        _bytes(b"id,name\r\n1,Ana\r\n\r\n2,Bo\r\n"),
        Read(2, ["id", "name"], ["integer", "string"], ["1", "Ana"]),
    ),
    "cr_only_line_endings": (
        _bytes(b"id,name\r1,Ana\r2,Bo\r"),
        Read(2, ["id", "name"], ["integer", "string"], ["1", "Ana"]),
    ),
    "mixed_date_formats": (
        _bytes(b"id,when\n1,2024-03-15\n2,15/03/2024\n3,Mar 15 2024\n"),
        Read(3, ["id", "when"], ["integer", "string"], ["1", "2024-03-15"]),
    ),
    "two_thousand_columns": (
        _wide,
        Read(2, [f"c{i}" for i in range(2000)], ["integer"] * 2000, [str(i) for i in range(2000)]),
    ),
    "gzip": (_gzip(PLAIN.encode()), Read(2, PLAIN_COLUMNS, PLAIN_TYPES, PLAIN_FIRST)),
    "gzip_latin1": (
        _gzip("id;nom\n1;Zoë\n".encode("latin-1")),
        Read(1, ["id", "nom"], ["integer", "string"], ["1", "Zoë"]),
    ),
    "parquet": (
        _parquet,
        Read(
            2,
            ["id", "full_name", "amount", "when", "flag", "at"],
            ["integer", "string", "decimal(3,1)", "date", "boolean", "timestamp"],
            ["1", "Ana", "10.5", "2024-03-15", "true", "2024-03-15 10:30:00.000000"],
        ),
    ),
    "one_column": (
        _bytes(b"email\na@b.co\nc@d.co\n"),
        Read(2, ["email"], ["string"], ["a@b.co"]),
    ),
}
REFUSALS: dict[str, tuple[Write, str]] = {
    "empty": (_bytes(b""), "is empty"),
    "whitespace_only": (_bytes(b"  \n\n "), "is empty"),
    "blank_crlf_lines": (_bytes(b"\r\n\r\n"), "is empty"),
    "binary_junk": (_bytes(bytes(range(256)) * 64), "binary"),
    "zip_spreadsheet": (_bytes(b"PK\x03\x04" + bytes(range(256)) * 8), "binary"),
    # Without a byte-order mark, UTF-16 looks like text with a NUL in every other byte.
    "utf16_without_bom": (_bytes(PLAIN.encode("utf-16-le")), "binary"),
    # The encoding is decided on the first 64 KiB; a Latin-1 byte after them is refused.
    "latin1_after_the_probe": (
        _bytes(_many_rows(5_000) + "5000,Zoë\n".encode("latin-1")),
        "is not utf-8",
    ),
    "damaged_gzip_header": (_bytes(b"\x1f\x8b\x08\x00garbage"), "damaged gzip"),
    "truncated_gzip": (_bytes(_BIG_GZIP[: len(_BIG_GZIP) // 2]), "damaged gzip"),
    "gzip_bad_checksum": (_bytes(_BIG_GZIP[:-8] + b"\x00" * 8), "damaged gzip"),
    "damaged_parquet": (_bytes(b"PAR1garbage"), "Parquet"),
}


@pytest.mark.parametrize("case", sorted(READS))
def test_awkward_files_are_read(tmp_path: Path, case: str) -> None:
    write, want = READS[case]
    path = tmp_path / f"{case}.csv"
    write(path)
    result = read_file(path, sniff(path))
    frame = result.frame
    assert frame.height == want.rows and frame.columns == want.columns
    assert all(dtype == pl.Utf8 for dtype in frame.dtypes)
    if want.rows:
        assert list(frame.row(0)) == want.first
    assert result.ragged_rows == want.ragged
    table = catalog_table(case, frame, result.source_headers)
    assert table.rows == want.rows
    assert [c.name for c in table.columns] == want.columns
    assert [c.type for c in table.columns] == want.types


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_non_tables_are_refused_with_a_code(tmp_path: Path, case: str) -> None:
    write, message = REFUSALS[case]
    path = tmp_path / f"{case}.csv"
    write(path)
    with pytest.raises(ConduitError) as info:
        read_file(path, sniff(path))
    assert info.value.code == "DETERMINISTIC_FAILURE"
    assert message in info.value.message and path.name in info.value.message


def _column(values: list[str]) -> bytes:
    return ("id,value\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values))).encode()


# One column of 100 values each: the type the catalog must infer, and the values that miss it.
TYPES: dict[str, tuple[list[str], str, int]] = {
    "iso_dates": ([f"2024-03-{d % 28 + 1:02d}" for d in range(100)], "date", 0),
    "us_dates": ([f"{d % 12 + 1:02d}/{d % 28 + 1:02d}/2024" for d in range(100)], "date", 0),
    "iso_dates_one_outlier": (["15 March 2024"] + ["2024-03-15"] * 99, "date", 1),
    "iso_us_and_text_dates": (
        ["2024-03-15", "03/15/2024", "Mar 15 2024"] * 33 + ["x"],
        "string",
        0,
    ),
    # Two formats, half each: neither covers 98%, so the column is not one date format.
    "iso_and_us_dates": (["2024-03-15", "03/15/2024"] * 50, "string", 0),
    # Month first and day first in one column contradict each other (03/15 and 15/03).
    "us_and_day_first_dates": (["03/15/2024", "15/03/2024"] * 50, "string", 0),
    # Whole amounts among amounts with cents are still decimals.
    "amounts_with_and_without_cents": (["10.50", "7"] * 50, "decimal(4,2)", 0),
}


@pytest.mark.parametrize("case", sorted(TYPES))
def test_the_catalog_infers_one_format_or_none(tmp_path: Path, case: str) -> None:
    values, kind, outliers = TYPES[case]
    path = tmp_path / f"{case}.csv"
    path.write_bytes(_column(values))
    result = read_file(path, sniff(path))
    column = catalog_table(case, result.frame, result.source_headers).columns[1]
    assert (column.type, column.outliers) == (kind, outliers)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConduitError) as info:
        sniff(tmp_path / "nope.csv")
    assert info.value.code == "DETERMINISTIC_FAILURE" and "does not exist" in info.value.message


def test_the_format_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("id;nom\n1;Zoë\n".encode("cp1252"))
    fmt = sniff(path)
    assert (fmt.kind, fmt.encoding, fmt.delimiter, fmt.bom) == ("csv", "cp1252", ";", False)


def test_a_refused_file_fails_the_run_in_one_line(
    tmp_path: Path, cli: CliRunner, cli_env: dict[str, str]
) -> None:
    """Through the CLI: exit 17 and ``error: DETERMINISTIC_FAILURE: ...`` naming the file."""
    source = tmp_path / "junk.csv"
    source.write_bytes(bytes(range(256)) * 64)
    doc: dict[str, Any] = yaml.safe_load(
        (ROOT / "examples" / "bank_transactions" / "contract.yaml").read_text()
    )
    doc.update(
        lhs={"source": {"type": "file"}, "location": str(source)}, human_confirm_required=False
    )
    contract = tmp_path / "contract.yaml"
    contract.write_text(yaml.safe_dump(doc))
    created = cli("runs", "create", "--contract", str(contract), "--json")
    assert created.returncode == 0, created.stderr
    run_id = json.loads(created.stdout)["run_id"]

    started = cli("runs", "start", run_id, "--base", str(tmp_path))
    assert started.returncode == 17, started.stderr
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: DETERMINISTIC_FAILURE: ")
    assert "junk.csv" in lines[0] and "binary" in lines[0]
    assert "Traceback" not in started.stderr + started.stdout


def test_a_200_mb_file_generated_here(tmp_path: Path) -> None:
    """Large input takes Polars' reader: every row, all text, canonical headers."""
    rows = 2_900_000
    i = pl.int_range(0, rows, eager=True)
    frame = pl.DataFrame(
        {
            "Txn ID": (i + 10_000_000).cast(pl.Utf8),
            "Posted Date": pl.Series(["2026-05-04"] * rows),
            "Amount": (i * 7919 % 500_000 / 100).cast(pl.Utf8),
            "Memo": pl.Series(["Card purchase at a merchant, store 0042"] * rows),
        }
    )
    path = tmp_path / "big.csv"
    frame.write_csv(path)
    assert path.stat().st_size > 200_000_000
    result = read_file(path, sniff(path))
    assert result.frame.height == rows
    assert result.frame.columns == ["txn_id", "posted_date", "amount", "memo"]
    assert result.frame.row(rows - 1)[0] == str(10_000_000 + rows - 1)

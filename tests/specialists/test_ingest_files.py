"""Awkward files, generated here: each is read correctly or refused with a §31 code and a message
naming the file; none ends in a traceback."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from core.errors import ConduitError
from specialists.ingest.files import read_file, sniff

Write = Callable[[Path], None]
PLAIN = "id,name,amount\n1,Ana,10.50\n2,Bo,7\n"


def _bytes(data: bytes) -> Write:
    def write(p: Path) -> None:
        p.write_bytes(data)

    return write


def _wide(p: Path) -> None:
    header = ",".join(f"c{i}" for i in range(2000))
    row = ",".join(str(i) for i in range(2000))
    p.write_text(f"{header}\n{row}\n{row}\n", encoding="utf-8")


def _gzip(p: Path) -> None:
    with gzip.open(p, "wb") as f:
        f.write(PLAIN.encode())


def _parquet(p: Path) -> None:
    pl.DataFrame({"id": [1, 2], "name": ["Ana", "Bo"], "amount": [10.5, 7.0]}).write_parquet(p)


# name -> (writer, expected (rows, columns, first row) or the refusal's message)
READS: dict[str, tuple[Write, tuple[int, list[str], list[str | None]]]] = {
    "plain": (_bytes(PLAIN.encode()), (2, ["id", "name", "amount"], ["1", "Ana", "10.50"])),
    "utf8_bom": (
        _bytes(b"\xef\xbb\xbf" + PLAIN.encode()),
        (2, ["id", "name", "amount"], ["1", "Ana", "10.50"]),
    ),
    "utf16_excel": (
        _bytes(PLAIN.replace(",", "\t").encode("utf-16")),
        (2, ["id", "name", "amount"], ["1", "Ana", "10.50"]),
    ),
    "latin1": (
        _bytes("id;nom;ville\n1;Zoë;Orléans\n".encode("latin-1")),
        (1, ["id", "nom", "ville"], ["1", "Zoë", "Orléans"]),
    ),
    "semicolons_decimal_comma": (
        _bytes(b"id;amount\n1;10,50\n2;7,00\n"),
        (2, ["id", "amount"], ["1", "10,50"]),
    ),
    "tabs": (_bytes(b"id\tname\n1\tAna\n"), (1, ["id", "name"], ["1", "Ana"])),
    "pipes": (_bytes(b"id|name\n1|Ana\n2|Bo\n"), (2, ["id", "name"], ["1", "Ana"])),
    "quoted_newlines": (
        _bytes(b'id,note\n1,"line one\nline two"\n2,plain\n'),
        (2, ["id", "note"], ["1", "line one\nline two"]),
    ),
    "ragged_rows": (_bytes(b"a,b,c\n1,2\n3,4,5,6\n"), (2, ["a", "b", "c"], ["1", "2", None])),
    "header_only": (_bytes(b"id,name\n"), (0, ["id", "name"], [])),
    "duplicate_headers": (
        _bytes(b"Name,name,NAME,\n1,2,3,4\n"),
        (1, ["name", "name_2", "name_3", "column_4"], ["1", "2", "3", "4"]),
    ),
    "crlf_and_blank_lines": (
        _bytes(b"id,name\r\n1,Ana\r\n\r\n2,Bo\r\n"),
        (2, ["id", "name"], ["1", "Ana"]),
    ),
    "mixed_date_formats": (
        _bytes(b"id,when\n1,2024-03-15\n2,15/03/2024\n3,Mar 15 2024\n"),
        (3, ["id", "when"], ["1", "2024-03-15"]),
    ),
    "two_thousand_columns": (
        _wide,
        (2, [f"c{i}" for i in range(2000)], [str(i) for i in range(2000)]),
    ),
    "gzip": (_gzip, (2, ["id", "name", "amount"], ["1", "Ana", "10.50"])),
    "parquet": (_parquet, (2, ["id", "name", "amount"], ["1", "Ana", "10.5"])),
    "one_column": (_bytes(b"email\na@b.co\nc@d.co\n"), (2, ["email"], ["a@b.co"])),
}
REFUSALS: dict[str, tuple[Write, str]] = {
    "empty": (_bytes(b""), "is empty"),
    "whitespace_only": (_bytes(b"  \n\n "), "is empty"),
    "binary_junk": (_bytes(bytes(range(256)) * 64), "binary"),
    "damaged_gzip": (_bytes(b"\x1f\x8b\x08\x00garbage"), "gzip"),
    "damaged_parquet": (_bytes(b"PAR1garbage"), "Parquet"),
}


@pytest.mark.parametrize("case", sorted(READS))
def test_awkward_files_are_read(tmp_path: Path, case: str) -> None:
    write, (rows, columns, first) = READS[case]
    path = tmp_path / f"{case}.csv"
    write(path)
    result = read_file(path, sniff(path))
    frame = result.frame
    assert frame.height == rows
    assert frame.columns == columns
    assert all(dtype == pl.Utf8 for dtype in frame.dtypes)
    if rows:
        assert list(frame.row(0)) == first


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_non_tables_are_refused_with_a_code(tmp_path: Path, case: str) -> None:
    write, message = REFUSALS[case]
    path = tmp_path / f"{case}.csv"
    write(path)
    with pytest.raises(ConduitError) as info:
        read_file(path, sniff(path))
    assert info.value.code == "DETERMINISTIC_FAILURE"
    assert message in info.value.message and path.name in info.value.message


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConduitError) as info:
        sniff(tmp_path / "nope.csv")
    assert info.value.code == "DETERMINISTIC_FAILURE" and "does not exist" in info.value.message


def test_the_format_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("id;nom\n1;Zoë\n".encode("cp1252"))
    fmt = sniff(path)
    assert (fmt.kind, fmt.encoding, fmt.delimiter, fmt.bom) == ("csv", "cp1252", ";", False)


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

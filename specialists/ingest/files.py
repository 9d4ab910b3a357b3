"""Reading the files users upload: what they are (sniffing), and their rows as text columns.

Files arrive as they were exported: UTF-8 with or without a BOM, UTF-16 from Excel, Latin-1 or
Windows-1252 from older systems, gzip-compressed, separated by commas, semicolons, tabs or
pipes, with quoted newlines, ragged rows, repeated or empty headers. ``sniff`` decides from the
first 64 KiB; ``read_file`` returns every column as text (types are inferred later, in the
catalog, never by guessing at parse time) with headers made canonical by ``canonical_headers``.

Anything that is not a table (binary junk, an empty file) is refused with DETERMINISTIC_FAILURE
and a message naming the file; nothing raises a traceback.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from core.errors import ContractError

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FileFormat", "canonical_headers", "read_file", "sniff"]

_PROBE = 64 * 1024
_CAREFUL_MAX = 64 * 1024 * 1024  # files up to this size are re-read when rows may be short
Compression = Literal["none", "gzip"]
Kind = Literal["csv", "parquet"]


@dataclass(frozen=True)
class FileFormat:
    """What a file is, as recorded in the catalog."""

    kind: Kind
    compression: Compression
    encoding: str  # a Python codec name; "utf-8" for Parquet
    delimiter: str
    bom: bool


def _refuse(path: Path, why: str) -> ContractError:
    return ContractError(f"{path.name}: {why}", field="lhs.location")


def _head(path: Path) -> tuple[bytes, Compression]:
    try:
        with path.open("rb") as f:
            raw = f.read(_PROBE)
    except FileNotFoundError:
        raise _refuse(path, "does not exist") from None
    except OSError as e:
        raise _refuse(path, f"cannot be read ({e.strerror})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as g:
                return g.read(_PROBE), "gzip"
        except (OSError, EOFError) as e:
            raise _refuse(path, f"is a damaged gzip file ({e})") from None
    return raw, "none"


def _encoding(head: bytes) -> tuple[str, bool]:
    """The codec of ``head`` (the first 64 KiB) and whether it starts with a byte-order mark."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    try:
        head.decode("utf-8")
        return "utf-8", False
    except UnicodeDecodeError as e:
        if len(head) == _PROBE and e.start >= len(head) - 3:  # a character cut by the probe
            return "utf-8", False
    try:
        head.decode("cp1252")
        return "cp1252", False
    except UnicodeDecodeError:
        return "latin-1", False


def _is_binary(text: str) -> bool:
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\r\n\t")
    return "\x00" in text or controls > max(8, len(text) // 100)


def sniff(path: Path) -> FileFormat:
    """Decide the format of ``path`` from its first 64 KiB."""
    head, compression = _head(path)
    if head[:4] == b"PAR1":
        return FileFormat("parquet", compression, "utf-8", "", False)
    if not head.strip():
        raise _refuse(path, "is empty")
    encoding, bom = _encoding(head)
    text = head.decode(encoding, errors="replace")
    if _is_binary(text):
        raise _refuse(path, "is not a text table (binary content)")
    return FileFormat("csv", compression, encoding, _delimiter(text), bom)


def _delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        # One column, or quoting the sniffer cannot follow: the most frequent candidate wins.
        counts = {d: sample.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


_NON_WORD = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def canonical_headers(names: list[str]) -> list[str]:
    """snake_case, ASCII, unique, never empty: the Standard Schema Catalog's column names.

    >>> canonical_headers(["Customer ID", "customerId", "", " E-Mail ", "1st name", "Name", "name"])
    ['customer_id', 'customer_id_2', 'column_3', 'e_mail', 'c_1st_name', 'name', 'name_2']
    """
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names, start=1):
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        words = _NON_WORD.sub("_", _CAMEL.sub("_", plain.strip()).lower()).strip("_")
        base = words or f"column_{i}"
        if base[0].isdigit():
            base = f"c_{base}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


@dataclass(frozen=True)
class ReadResult:
    frame: pl.DataFrame  # every column Utf8, canonical names
    source_headers: list[str]
    ragged_rows: int  # rows with more or fewer fields than the header, padded or cut


def read_file(path: Path, fmt: FileFormat) -> ReadResult:
    """Every row of ``path`` as text columns with canonical headers."""

    if fmt.kind == "parquet":
        return _read_parquet(path)
    if fmt.encoding in ("utf-8", "utf-8-sig") and fmt.compression == "none" and not _bare_cr(path):
        fast = _read_polars(path, fmt)
        if fast is not None:
            return fast
    with _text(path, fmt) as text_stream:
        return _read_text(path, fmt, text_stream)


def _read_text(path: Path, fmt: FileFormat, text_stream: io.TextIOBase) -> ReadResult:
    import polars as pl

    reader = csv.reader(text_stream, delimiter=fmt.delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise _refuse(path, "is empty")
        rows, ragged = [], 0
        width = len(header)
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != width:
                ragged += 1
                row = (row + [""] * width)[:width]
            rows.append(row)
    except csv.Error as e:
        raise _refuse(path, f"is not valid CSV at line {reader.line_num}: {e}") from None
    except UnicodeDecodeError as e:
        raise _refuse(path, f"is not {fmt.encoding} (byte {e.start})") from None
    except (EOFError, OSError, zlib.error) as e:  # e.g. a gzip stream cut or damaged mid-way
        damage = "is a damaged gzip file" if fmt.compression == "gzip" else "cannot be read"
        raise _refuse(path, f"{damage} ({e})") from None
    names = canonical_headers(header)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pl.DataFrame(
        {
            n: pl.Series(n, [v if v != "" else None for v in col], dtype=pl.Utf8)
            for n, col in zip(names, columns, strict=True)
        }
    )
    return ReadResult(frame, header, ragged)


def _read_polars(path: Path, fmt: FileFormat) -> ReadResult | None:
    """UTF-8 files through Polars' reader (multi-threaded, about 40x the csv module); None when
    it cannot follow the file (the csv module then reads it and says where it breaks)."""
    import polars as pl

    try:
        frame = pl.read_csv(
            path,
            separator=fmt.delimiter,
            infer_schema=False,
            truncate_ragged_lines=False,  # a longer row goes to the csv module, which counts it
            encoding="utf8",
            raise_if_empty=False,
        )
    except Exception:  # noqa: BLE001 - any refusal sends the file to the careful reader
        return None
    header = [h.removeprefix("\ufeff") for h in frame.columns]
    if any(h.startswith("_duplicated_") for h in header):
        return None  # Polars renamed repeated headers: read them as written instead
    names = canonical_headers(header)
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    blank = frame.select(pl.all_horizontal(pl.all().is_null())).to_series()
    if blank.any():  # filtering copies every column: only when there is a blank line
        frame = frame.filter(~blank)
    if (
        frame.width > 1
        and frame.get_column(frame.columns[-1]).null_count()
        and path.stat().st_size <= _CAREFUL_MAX
    ):
        # Polars pads short rows with nulls, like empty trailing fields: the csv module tells
        # them apart and counts ragged rows (files above _CAREFUL_MAX are not re-read: their
        # short rows are read as trailing nulls, uncounted).
        return None
    return ReadResult(frame, header, 0)


_BARE_CR = re.compile(rb"\r(?!\n)")


def _bare_cr(path: Path) -> bool:
    """Whether lines end in CR alone (old Mac exports): Polars' reader does not split them."""
    with path.open("rb") as f:
        head = f.read(_PROBE)
    return _BARE_CR.search(head.rstrip(b"\r")) is not None


def _text(path: Path, fmt: FileFormat) -> io.TextIOBase:
    raw = gzip.open(path, "rb") if fmt.compression == "gzip" else path.open("rb")
    return io.TextIOWrapper(raw, encoding=fmt.encoding, newline="")


def _read_parquet(path: Path) -> ReadResult:
    import polars as pl

    try:
        frame = pl.read_parquet(path)
    except Exception as e:  # noqa: BLE001 - polars raises many kinds for a damaged file
        raise _refuse(path, f"is not a readable Parquet file ({type(e).__name__})") from None
    header = list(frame.columns)
    names = canonical_headers(header)
    frame = frame.rename(dict(zip(header, names, strict=True))).select(
        [pl.col(n).cast(pl.Utf8) for n in names]
    )
    return ReadResult(frame, header, 0)

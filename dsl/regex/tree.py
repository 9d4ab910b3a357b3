"""Character sets, the pattern tree and the checked ``Regex`` value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MAX_REPEAT = 1000
MAX_POSITIONS = 2000
MAX_CP = 0x10FFFF
Flavor = Literal["rust", "re2", "postgres", "pcre2"]

# Character sets are tuples of inclusive code-point intervals, sorted and disjoint.
Ranges = tuple[tuple[int, int], ...]

DIGIT: Ranges = ((0x30, 0x39),)
WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
SPACE: Ranges = ((0x09, 0x0D), (0x20, 0x20))  # \t \n \v \f \r and space
ANY: Ranges = ((0, MAX_CP),)
META = set("\\^$.|?*+()[]{}")


class RegexError(ValueError):
    """A pattern outside the subset; ``position`` is the 0-based offset in the pattern."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at offset {position})")
        self.position = position


def normalize(ranges: list[tuple[int, int]]) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def complement(ranges: Ranges) -> Ranges:
    out, start = [], 0
    for lo, hi in ranges:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX_CP:
        out.append((start, MAX_CP))
    return tuple(out)


def overlap(a: Ranges, b: Ranges) -> bool:
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][1] < b[j][0]:
            i += 1
        elif b[j][1] < a[i][0]:
            j += 1
        else:
            return True
    return False


# ---- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chars:
    """One character from a set. ``source`` keeps how it was written, for messages only."""

    ranges: Ranges
    negated_class: bool = False


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    branches: tuple[Node, ...]


@dataclass(frozen=True)
class Group:
    body: Node
    capturing: bool


@dataclass(frozen=True)
class Repeat:
    body: Node
    low: int
    high: int | None  # None = unbounded


Node = Chars | Seq | Alt | Group | Repeat


@dataclass(frozen=True)
class Regex:
    """A checked pattern: its tree, anchors, number of capturing groups, and whether it can
    match the empty string."""

    source: str
    tree: Node
    anchored_start: bool
    anchored_end: bool
    groups: int
    nullable: bool = False
    #: For group 1..n: True when the group takes part in every match (it is not inside an
    #: alternation, an optional part or a repetition that may be skipped).
    always: tuple[bool, ...] = ()

    def participates(self, group: int) -> bool:
        """Whether ``group`` (0 = the whole match) takes part in every match."""
        return group == 0 or self.always[group - 1]

r"""The DSL's regex flavour: a small, linear-time subset with one meaning on every backend.

Polars (Rust ``regex``), DuckDB (RE2), PostgreSQL (Spencer's ARE) and MariaDB (PCRE2) disagree
on much of regex syntax, and on meaning where the syntax agrees: ``\d``, ``\w`` and ``\s`` are
ASCII in RE2 and Unicode in Rust; ``.`` matches a newline in PostgreSQL only; ``$`` matches
before a final newline in PCRE2 only; and PostgreSQL picks the *longest* match where the others
pick the first alternative that matches, so ``(a|ab)`` captures ``ab`` on PostgreSQL and ``a``
elsewhere.

So a pattern is parsed into a tree, checked, and emitted anew for each dialect:

Accepted
    literals; ``\`` before any punctuation; ``\t \n \r``; ``.`` (any character, newline
    included); classes ``[...]`` and ``[^...]`` with single characters and ASCII ranges within
    ``0-9``, ``a-z`` or ``A-Z``; ``\d \w \s`` and their negations, always meaning the ASCII sets
    ``[0-9]``, ``[0-9A-Za-z_]`` and ``[ \t\n\r\f\v]``; groups ``(...)`` and ``(?:...)``;
    alternation ``|``; greedy ``* + ?`` and ``{m}``, ``{m,}``, ``{m,n}`` with ``n <= 1000``;
    ``^`` as the first and ``$`` as the last character of the whole pattern (the start and the
    very end of the string).
Rejected (DSL_REJECT)
    backreferences, lookaround, named groups, inline flags, lazy and possessive quantifiers,
    ``\b \B \A \z \Z \p{..}``, POSIX classes, octal and hex escapes, anchors elsewhere, and any
    pattern that is not *deterministic*.

Deterministic (1-unambiguous, Brueggemann-Klein and Wood) means that, reading a string left to
right, the next character always selects at most one way through the pattern: no two branches of
an alternation, and no "repeat again" versus "go on", can both start with the same character. For
such patterns the first-match (Perl, RE2, Rust, PCRE2) and longest-match (PostgreSQL) semantics
choose the same match and the same groups, and no backtracking engine can backtrack
exponentially. ``(a+)+$``, ``(a|ab)`` and ``x*(xy)?`` are rejected; ``([0-9]{4})-([0-9]{2})`` and
``^\s*(\S+)\s+(\S+)\s*$`` are accepted. A pattern rejected for this reason can almost always be
rewritten deterministically (``(a|ab)`` is ``(ab?)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["RegexError", "Regex", "parse_regex", "emit", "MAX_REPEAT", "Flavor"]

MAX_REPEAT = 1000
MAX_POSITIONS = 2000
_MAX_CP = 0x10FFFF
Flavor = Literal["rust", "re2", "postgres", "pcre2"]

# Character sets are tuples of inclusive code-point intervals, sorted and disjoint.
Ranges = tuple[tuple[int, int], ...]

_DIGIT: Ranges = ((0x30, 0x39),)
_WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_SPACE: Ranges = ((0x09, 0x0D), (0x20, 0x20))  # \t \n \v \f \r and space
_ANY: Ranges = ((0, _MAX_CP),)
_META = set("\\^$.|?*+()[]{}")


class RegexError(ValueError):
    """A pattern outside the subset; ``position`` is the 0-based offset in the pattern."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at offset {position})")
        self.position = position


def _normalize(ranges: list[tuple[int, int]]) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def _complement(ranges: Ranges) -> Ranges:
    out, start = [], 0
    for lo, hi in ranges:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= _MAX_CP:
        out.append((start, _MAX_CP))
    return tuple(out)


def _overlap(a: Ranges, b: Ranges) -> bool:
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


# ---- parsing ----------------------------------------------------------------------------------


@dataclass
class _Parser:
    text: str
    pos: int = 0
    groups: int = 0
    repeats: list[int] = field(default_factory=list)

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def take(self) -> str:
        ch = self.text[self.pos]
        self.pos += 1
        return ch

    def fail(self, message: str, at: int | None = None) -> RegexError:
        return RegexError(message, self.pos if at is None else at)

    def alternation(self) -> Node:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else Alt(tuple(branches))

    def sequence(self) -> Node:
        items: list[Node] = []
        while (ch := self.peek()) is not None and ch not in "|)":
            items.append(self.quantified())
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def quantified(self) -> Node:
        start = self.pos
        atom = self.atom()
        ch = self.peek()
        if ch is None or ch not in "*+?{":
            return atom
        if ch == "{":
            low, high = self.braces()
        else:
            self.take()
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
        nxt = self.peek()
        if nxt == "?":
            raise self.fail("lazy quantifiers are not in the DSL regex subset")
        if nxt == "+":
            raise self.fail("possessive quantifiers are not in the DSL regex subset")
        if nxt is not None and nxt in "*{":
            raise self.fail("a quantifier must follow an atom, not another quantifier")
        if isinstance(atom, Repeat):
            raise self.fail("a quantifier must follow an atom, not another quantifier", start)
        return Repeat(atom, low, high)

    def braces(self) -> tuple[int, int | None]:
        start = self.pos
        end = self.text.find("}", start)
        if end < 0:
            raise self.fail("unclosed {m,n} quantifier")
        body = self.text[start + 1 : end]
        parts = body.split(",")
        if (
            len(parts) > 2
            or not parts[0].isdigit()
            or (len(parts) == 2 and parts[1] and not parts[1].isdigit())
        ):
            raise self.fail("a counted quantifier is {m}, {m,} or {m,n} with decimal numbers")
        low = int(parts[0])
        high: int | None = low if len(parts) == 1 else (int(parts[1]) if parts[1] else None)
        if max(low, high or 0) > MAX_REPEAT:
            raise self.fail(f"counted repetition above {MAX_REPEAT}")
        if high is not None and high < low:
            raise self.fail("in {m,n}, n must not be below m")
        self.pos = end + 1
        return low, high

    def atom(self) -> Node:
        at = self.pos
        ch = self.take()
        if ch == "(":
            return self.group(at)
        if ch == "[":
            return self.char_class(at)
        if ch == ".":
            return Chars(_ANY)
        if ch == "\\":
            return Chars(self.escape(in_class=False))
        if ch in "^$":
            raise self.fail(
                f"'{ch}' is allowed only at the very start (^) or end ($) of a pattern", at
            )
        if ch in "*+?{":
            raise self.fail(f"'{ch}' has nothing to repeat", at)
        if ch in ")]}":
            raise self.fail(f"unbalanced '{ch}'", at)
        return Chars(((ord(ch), ord(ch)),))

    def group(self, at: int) -> Node:
        capturing = True
        if self.text.startswith("?:", self.pos):
            self.pos += 2
            capturing = False
        elif self.peek() == "?":
            rest = self.text[self.pos : self.pos + 3]
            kind = (
                "lookaround"
                if rest[:2] in ("?=", "?!") or rest in ("?<=", "?<!")
                else "named groups"
                if rest.startswith(("?P<", "?<", "?'"))
                else "inline flags and other (?...) groups"
            )
            raise self.fail(f"{kind}: not in not in the DSL regex subset", at)
        if capturing:
            self.groups += 1
        body = self.alternation()
        if self.peek() != ")":
            raise self.fail("unclosed group", at)
        self.take()
        return Group(body, capturing)

    def escape(self, *, in_class: bool) -> Ranges:
        at = self.pos - 1
        ch = self.peek()
        if ch is None:
            raise self.fail("a pattern cannot end with a backslash", at)
        self.take()
        classes = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
        if ch in classes:
            return classes[ch]
        if ch.lower() in classes and ch.isupper():
            return _complement(classes[ch.lower()])
        if ch in "tnr":
            return ((ord({"t": "\t", "n": "\n", "r": "\r"}[ch]),) * 2,)
        if ch.isdigit():
            raise self.fail("backreferences and octal escapes are not in the DSL regex subset", at)
        if ch.isalnum():
            raise self.fail(f"the escape \\{ch} is not in the DSL regex subset", at)
        if not ch.isprintable() or ch == " ":
            raise self.fail("only punctuation may be escaped with a backslash", at)
        return ((ord(ch), ord(ch)),)

    def char_class(self, at: int) -> Node:
        negated = self.peek() == "^"
        if negated:
            self.take()
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            ch = self.peek()
            if ch is None:
                raise self.fail("unclosed character class", at)
            if ch == "]" and not first:
                self.take()
                break
            if ch == "[" and self.text.startswith(("[:", "[=", "[."), self.pos):
                raise self.fail("POSIX classes are not in the DSL regex subset")
            if ch == "]":
                raise self.fail("write a literal ] in a class as \\]")
            first = False
            item = self.class_item()
            if self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.take()
                high = self.class_item()
                ranges.append(self.class_range(item, high))
            else:
                ranges.extend(item)
        if not ranges:
            raise self.fail("empty character class", at)
        merged = _normalize(ranges)
        return Chars(_complement(merged) if negated else merged, negated_class=negated)

    def class_item(self) -> Ranges:
        ch = self.take()
        if ch == "\\":
            return self.escape(in_class=True)
        if ch == "[":
            raise self.fail("write a literal [ in a class as \\[")
        return ((ord(ch), ord(ch)),)

    def class_range(self, low: Ranges, high: Ranges) -> tuple[int, int]:
        if len(low) != 1 or len(high) != 1 or low[0][0] != low[0][1] or high[0][0] != high[0][1]:
            raise self.fail("a range needs single characters at both ends")
        lo, hi = chr(low[0][0]), chr(high[0][0])
        for block in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            if lo in block and hi in block and lo <= hi:
                return (ord(lo), ord(hi))
        raise self.fail(
            f"the range {lo}-{hi} is not within 0-9, a-z or A-Z (ranges elsewhere depend on "
            "the database's collation); list the characters instead"
        )


# ---- determinism (Glushkov positions) ---------------------------------------------------------


@dataclass
class _Glushkov:
    charsets: list[Ranges] = field(default_factory=list)
    follow: list[set[int]] = field(default_factory=list)

    def new(self, ranges: Ranges) -> int:
        if len(self.charsets) >= MAX_POSITIONS:
            raise RegexError("pattern too large once its counted repetitions are expanded", 0)
        self.charsets.append(ranges)
        self.follow.append(set())
        return len(self.charsets) - 1

    def build(self, node: Node) -> tuple[bool, set[int], set[int]]:
        """Return (nullable, first, last) of ``node``, filling ``follow``."""
        if isinstance(node, Chars):
            p = self.new(node.ranges)
            return False, {p}, {p}
        if isinstance(node, Group):
            return self.build(node.body)
        if isinstance(node, Alt):
            first, last = set[int](), set[int]()
            for branch in node.branches:
                n, f, la = self.build(branch)
                if n:
                    # An empty alternative acts like a lazy quantifier on first-match engines.
                    raise RegexError("an alternative that can match nothing is ambiguous", 0)
                first, last = first | f, last | la
            return False, first, last
        if isinstance(node, Seq):
            return self.sequence(list(node.items))
        return self.repeat(node)

    def sequence(self, items: list[Node]) -> tuple[bool, set[int], set[int]]:
        nullable, first, last = True, set[int](), set[int]()
        for item in items:
            if isinstance(item, Repeat) and item.low == 0 and item.high in (0, -1):
                n, f, la = self.star_or_optional(item)  # an x* or x? marker
            else:
                n, f, la = self.build(item)
            for p in last:
                self.follow[p] |= f
            first = first | f if nullable else first
            last = last | la if n else la
            nullable = nullable and n
        return nullable, first, last

    def repeat(self, node: Repeat) -> tuple[bool, set[int], set[int]]:
        """x{m,} is x (m times) then x*; x{m,n} is x (m times) then (x(x(...)?)?)?.

        The optional tail is nested, not flat: x? x? would be ambiguous where x(x)? is not,
        and both mean the same. It is built iteratively: copy i+1 may follow copy i, and the
        match may end after any copy.
        """
        items: list[Node] = [node.body] * node.low
        if node.high is None:
            items.append(Repeat(node.body, 0, -1))  # marker: x*
        nullable, first, last = self.sequence(items)
        if node.high is None or node.high == node.low:
            return nullable, first, last
        tail_first: set[int] = set()
        tail_last: set[int] = set()
        previous: set[int] = set()
        for i in range(node.high - node.low):
            body_nullable, f, la = self.build(node.body)
            if body_nullable:
                raise RegexError(
                    "a repeated or optional part that can match nothing is ambiguous", 0
                )
            if i == 0:
                tail_first = f
            for p in previous:
                self.follow[p] |= f
            tail_last |= la
            previous = la
        for p in last:
            self.follow[p] |= tail_first
        first = first | tail_first if nullable else first
        return nullable, first, last | tail_last

    def star_or_optional(self, node: Repeat) -> tuple[bool, set[int], set[int]]:
        nullable, first, last = self.build(node.body)
        if nullable:
            # Engines disagree on how often an empty body repeats and what it captures.
            raise RegexError("a repeated or optional part that can match nothing is ambiguous", 0)
        if node.high == -1:  # star: the body may follow itself
            for p in last:
                self.follow[p] |= first
        return True, first, last


def _check_deterministic(tree: Node, source: str) -> bool:
    """Raise unless ``tree`` is deterministic; return whether it can match the empty string."""
    g = _Glushkov()
    nullable, first, _ = g.build(tree)
    for label, positions in [("the start", first)] + [
        (f"character {i + 1} of the expanded pattern", f) for i, f in enumerate(g.follow)
    ]:
        ordered = sorted(positions)
        for i, p in enumerate(ordered):
            for q in ordered[i + 1 :]:
                if _overlap(g.charsets[p], g.charsets[q]):
                    raise RegexError(
                        f"pattern {source!r} is ambiguous: after {label} the same character can "
                        "continue it in two ways, so backends would match it differently; "
                        "rewrite it so each alternative or repetition starts with its own "
                        "characters (e.g. (a|ab) as (ab?))",
                        0,
                    )
    return nullable


def parse_regex(pattern: str, *, max_length: int = 1000) -> Regex:
    """Parse and check a DSL regex.

    Raises:
        RegexError: the pattern is outside the subset, with the offset of the problem.

    Example:
        >>> parse_regex(r"^(\\d{4})-(\\d{2})$").groups
        2
    """
    if len(pattern) > max_length:
        raise RegexError(f"pattern longer than {max_length} characters", max_length)
    if not pattern:
        raise RegexError("empty pattern", 0)
    start = pattern.startswith("^")
    backslashes = len(pattern[:-1]) - len(pattern[:-1].rstrip("\\"))
    end = pattern.endswith("$") and backslashes % 2 == 0 and len(pattern) > int(start)
    body = pattern[1 if start else 0 : len(pattern) - 1 if end else len(pattern)]
    parser = _Parser(body)
    offset = 1 if start else 0  # the parser reads the pattern without its anchors
    try:
        tree = parser.alternation()
        if parser.pos != len(body):
            raise RegexError(f"unbalanced '{body[parser.pos]}'", parser.pos)
    except RegexError as e:
        message = str(e).rsplit(" (at offset", 1)[0]
        raise RegexError(message, e.position + offset) from None
    nullable = _check_deterministic(tree, pattern)
    _check_repeated_groups(tree)
    return Regex(pattern, tree, start, end, parser.groups, nullable, tuple(_participation(tree)))


def _check_repeated_groups(node: Node) -> None:
    """A capturing group inside a repetition must take part in every repetition: when the last
    repetition skips it, PostgreSQL reports it empty and the other engines keep the value of an
    earlier repetition (``^(?:(a)|b)*c`` on ``abc``)."""
    if isinstance(node, Repeat):
        if (node.high is None or node.high > 1) and not all(_participation(node.body)):
            raise RegexError(
                "a group inside a repetition must match in every repetition "
                "(engines disagree on what a skipped group holds)",
                0,
            )
        _check_repeated_groups(node.body)
    elif isinstance(node, Group):
        _check_repeated_groups(node.body)
    elif isinstance(node, (Seq, Alt)):
        for child in node.items if isinstance(node, Seq) else node.branches:
            _check_repeated_groups(child)


def _participation(node: Node, optional: bool = False) -> list[bool]:
    """Capturing groups in order of their opening parenthesis, and whether each always takes
    part in a match."""
    if isinstance(node, Group):
        inner = _participation(node.body, optional)
        return [not optional, *inner] if node.capturing else inner
    if isinstance(node, Seq):
        return [flag for item in node.items for flag in _participation(item, optional)]
    if isinstance(node, Alt):
        return [flag for b in node.branches for flag in _participation(b, True)]
    if isinstance(node, Repeat):
        return _participation(node.body, optional or node.low == 0)
    return []


# ---- emitting ---------------------------------------------------------------------------------


def _char(cp: int, flavor: Flavor, *, in_class: bool = False) -> str:
    ch = chr(cp)
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    if ch in named:
        return named[ch]
    if ch in ("\\[]^-" if in_class else _META):
        return "\\" + ch
    if ch.isprintable() and ch != " " or ch == " ":
        return ch
    # PostgreSQL reads \x greedily (\x0bA is one character) and PCRE2's \v is a class, so
    # non-printable characters get fixed-width (PostgreSQL) or braced (elsewhere) escapes.
    if flavor == "postgres":
        return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"
    return f"\\x{{{cp:x}}}"


def _same_block(lo: int, hi: int) -> bool:
    return any(a <= lo <= hi <= b for a, b in ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)))


def _class(ranges: Ranges, flavor: Flavor) -> str:
    if ranges == _ANY:
        return "."
    negate = bool(ranges) and ranges[-1][1] == _MAX_CP
    inner = _complement(ranges) if negate else ranges
    if not negate and len(inner) == 1 and inner[0][0] == inner[0][1]:
        return _char(inner[0][0], flavor)
    parts = []
    for lo, hi in inner:
        if lo == hi or not _same_block(lo, hi):
            # Ranges are emitted only within 0-9, A-Z, a-z: elsewhere they depend on collation.
            parts += [_char(cp, flavor, in_class=True) for cp in range(lo, hi + 1)]
        else:
            parts.append(f"{chr(lo)}-{chr(hi)}")
    return f"[{'^' if negate else ''}{''.join(parts)}]"


def _emit(node: Node, flavor: Flavor) -> str:
    if isinstance(node, Chars):
        return _class(node.ranges, flavor)
    if isinstance(node, Seq):
        return "".join(_emit(item, flavor) for item in node.items)
    if isinstance(node, Alt):
        return "|".join(_emit(b, flavor) for b in node.branches)
    if isinstance(node, Group):
        return f"({'' if node.capturing else '?:'}{_emit(node.body, flavor)})"
    body = _emit(node.body, flavor)
    if not (isinstance(node.body, (Group, Chars))):
        body = f"(?:{body})"
    if (node.low, node.high) == (0, None):
        q = "*"
    elif (node.low, node.high) == (1, None):
        q = "+"
    elif (node.low, node.high) == (0, 1):
        q = "?"
    elif node.high is None:
        q = f"{{{node.low},}}"
    elif node.low == node.high:
        q = f"{{{node.low}}}"
    else:
        q = f"{{{node.low},{node.high}}}"
    return body + q


def emit(regex: Regex, flavor: Flavor) -> str:
    """The pattern in ``flavor``'s syntax, with the DSL's meaning.

    ``.`` matches newlines everywhere (PostgreSQL's default; ``(?s)`` elsewhere) and ``$`` is the
    very end of the string (PCRE2's ``$`` would also match before a final newline: ``\\z``).

    Example:
        >>> emit(parse_regex(r"^\\d+$"), "pcre2")
        '(?s-i)^[0-9]+\\\\z'
    """
    body = _emit(regex.tree, flavor)
    if isinstance(regex.tree, Alt) and (regex.anchored_start or regex.anchored_end):
        body = f"(?:{body})"
    # MariaDB matches by the column's collation (often case-insensitive) unless told (?-i).
    prefix = {"postgres": "", "pcre2": "(?s-i)"}.get(flavor, "(?s)")
    start = "^" if regex.anchored_start else ""
    end = ("\\z" if flavor == "pcre2" else "$") if regex.anchored_end else ""
    return prefix + start + body + end

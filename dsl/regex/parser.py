"""Parsing a pattern of the subset into a tree; ``parse_regex`` is the entry point."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl.regex.analysis import check_deterministic, check_repeated_groups, participation
from dsl.regex.tree import (
    ANY,
    DIGIT,
    MAX_REPEAT,
    SPACE,
    WORD,
    Alt,
    Chars,
    Group,
    Node,
    Ranges,
    Regex,
    RegexError,
    Repeat,
    Seq,
    complement,
    normalize,
)

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
            return Chars(ANY)
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
        classes = {"d": DIGIT, "w": WORD, "s": SPACE}
        if ch in classes:
            return classes[ch]
        if ch.lower() in classes and ch.isupper():
            return complement(classes[ch.lower()])
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
        merged = normalize(ranges)
        return Chars(complement(merged) if negated else merged, negated_class=negated)

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
    nullable = check_deterministic(tree, pattern)
    check_repeated_groups(tree)
    return Regex(pattern, tree, start, end, parser.groups, nullable, tuple(participation(tree)))

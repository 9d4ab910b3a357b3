"""Determinism (Glushkov positions) and group participation, the checks behind the subset."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl.regex.tree import (
    MAX_POSITIONS,
    Alt,
    Chars,
    Group,
    Node,
    Ranges,
    RegexError,
    Repeat,
    Seq,
    overlap,
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


def check_deterministic(tree: Node, source: str) -> bool:
    """Raise unless ``tree`` is deterministic; return whether it can match the empty string."""
    g = _Glushkov()
    nullable, first, _ = g.build(tree)
    for label, positions in [("the start", first)] + [
        (f"character {i + 1} of the expanded pattern", f) for i, f in enumerate(g.follow)
    ]:
        ordered = sorted(positions)
        for i, p in enumerate(ordered):
            for q in ordered[i + 1 :]:
                if overlap(g.charsets[p], g.charsets[q]):
                    raise RegexError(
                        f"pattern {source!r} is ambiguous: after {label} the same character can "
                        "continue it in two ways, so backends would match it differently; "
                        "rewrite it so each alternative or repetition starts with its own "
                        "characters (e.g. (a|ab) as (ab?))",
                        0,
                    )
    return nullable


def check_repeated_groups(node: Node) -> None:
    """A capturing group inside a repetition must take part in every repetition: when the last
    repetition skips it, PostgreSQL reports it empty and the other engines keep the value of an
    earlier repetition (``^(?:(a)|b)*c`` on ``abc``)."""
    if isinstance(node, Repeat):
        if (node.high is None or node.high > 1) and not all(participation(node.body)):
            raise RegexError(
                "a group inside a repetition must match in every repetition "
                "(engines disagree on what a skipped group holds)",
                0,
            )
        check_repeated_groups(node.body)
    elif isinstance(node, Group):
        check_repeated_groups(node.body)
    elif isinstance(node, (Seq, Alt)):
        for child in node.items if isinstance(node, Seq) else node.branches:
            check_repeated_groups(child)


def participation(node: Node, optional: bool = False) -> list[bool]:
    """Capturing groups in order of their opening parenthesis, and whether each always takes
    part in a match."""
    if isinstance(node, Group):
        inner = participation(node.body, optional)
        return [not optional, *inner] if node.capturing else inner
    if isinstance(node, Seq):
        return [flag for item in node.items for flag in participation(item, optional)]
    if isinstance(node, Alt):
        return [flag for b in node.branches for flag in participation(b, True)]
    if isinstance(node, Repeat):
        return participation(node.body, optional or node.low == 0)
    return []

"""The regex dialect of the Domain Catalog: Python ``re``, anchored, simple constructs only.

A domain's regex is evidence read by more than Python: value checks may run it in SQL or in
Polars (Rust's ``regex`` crate), which have no lookaround, backreferences, atomic groups,
conditionals or possessive quantifiers. So a catalog regex must

- compile with Python's ``re``;
- be anchored as a whole: start with ``^``, end with an unescaped ``$`` and have no ``|`` outside
  a group (``^a|b$`` matches any text that starts with ``a``);
- use none of the constructs above;
- not repeat a group that can match the same text in more than one way: ``(a+)+``, ``(a*)*``,
  ``(a|ab)*`` backtrack exponentially on a value that almost matches. A repeated group may hold
  an unbounded repeat or a ``|`` only when every round starts with a literal separator nothing
  else in the group can match: ``(?:\\.[A-Za-z0-9-]+)*`` is fine, each round starts at a dot.

The check is syntactic and conservative. It does not look for the milder, polynomial overlaps of
adjacent repeats (``\\d+\\d+``), which stay harmless on header-length and cell-length values.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

__all__ = ["regex_problem"]

_GROUPS = (
    ("(?=", "a lookahead"),
    ("(?!", "a negative lookahead"),
    ("(?<=", "a lookbehind"),
    ("(?<!", "a negative lookbehind"),
    ("(?>", "an atomic group"),
    ("(?(", "a conditional"),
    ("(?P=", "a backreference"),
)
_QUANTIFIERS = "*+?}"


def regex_problem(pattern: str) -> str | None:
    """What keeps ``pattern`` from being a catalog regex, or None when it is one.

    Example:
        >>> regex_problem(r"^\\d{5}(?:-\\d{4})?$") is None
        True
        >>> regex_problem(r"^a|b$")
        'has a | outside a group; write ^(?:a|b)$'
        >>> regex_problem(r"^(?!000)\\d{3}$")
        'uses a negative lookahead'
        >>> regex_problem(r"^(a+)+$")[:46]
        'repeats a group that holds an unbounded repeat'
        >>> regex_problem(r"^[a-z]+(?:\\.[a-z]+)*$") is None
        True
    """
    with warnings.catch_warnings():
        # ``[[`` or ``[a&&b]`` compile today with a FutureWarning: set syntax is to change.
        warnings.simplefilter("error", FutureWarning)
        try:
            re.compile(pattern)
        except re.error as e:
            return f"does not compile: {e}"
        except FutureWarning as e:
            return f"will read differently in a later Python: {e}; escape the [ or the &&"
    if not pattern.startswith("^") or not _ends_anchored(pattern):
        return "is not anchored: start it with ^ and end it with $"
    return _scan(pattern)


def _ends_anchored(pattern: str) -> bool:
    if not pattern.endswith("$"):
        return False
    backslashes = len(pattern) - 1 - len(pattern[:-1].rstrip("\\"))
    return backslashes % 2 == 0


@dataclass
class _Group:
    """An open group while scanning: where its body starts and what the body holds so far."""

    body: int
    #: The body holds a quantifier without an upper bound (``*``, ``+``, ``{2,}``).
    unbounded: bool = False
    #: The body holds a ``|`` of its own.
    branches: bool = False


def _scan(pattern: str) -> str | None:
    stack: list[_Group] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if pattern[i + 1 : i + 2] in tuple("123456789"):
                return "uses a backreference"
            i += 2
        elif c == "[":
            i = _class_end(pattern, i)
        elif c == "(":
            construct = next(
                (name for token, name in _GROUPS if pattern.startswith(token, i)), None
            )
            if construct is not None:
                return f"uses {construct}"
            stack.append(_Group(body=_body_start(pattern, i)))
            i += 1
        elif c == ")":
            if not stack:
                return "has an unbalanced )"
            problem = _close(pattern, i, stack)
            if problem is not None:
                return problem
            i += 1
        else:
            if c == "|":
                if not stack:
                    return "has a | outside a group; write ^(?:a|b)$"
                stack[-1].branches = True
            elif c in _QUANTIFIERS and pattern[i + 1 : i + 2] == "+" and pattern[i - 1 : i] != "(":
                return "uses a possessive quantifier"
            quantifier = _quantifier(pattern, i)
            if quantifier is not None and quantifier[1] is None and stack:
                stack[-1].unbounded = True
            i += 1
    return None


def _close(pattern: str, i: int, stack: list[_Group]) -> str | None:
    """Check the group that ``)`` at ``i`` closes against the quantifier after it; pop it."""
    group = stack.pop()
    quantifier = _quantifier(pattern, i + 1)
    repeats = quantifier is not None and (quantifier[1] is None or quantifier[1] > 1)
    body = pattern[group.body : i]
    # A repeated group whose body can itself match a run in more than one way ((a+)+, (a|a)*)
    # backtracks exponentially on a near miss, unless every round starts with a separator the
    # inner repeats cannot eat ((?:\.[a-z]+)*).
    if repeats and (group.unbounded or group.branches) and not _separated(body):
        kind = "a | " if group.branches else "an unbounded repeat "
        return (
            f"repeats a group that holds {kind}(catastrophic backtracking); start each round "
            "with a separator the group cannot otherwise match, or use one character class"
        )
    if stack and (group.unbounded or (quantifier is not None and quantifier[1] is None)):
        stack[-1].unbounded = True
    return None


def _body_start(pattern: str, i: int) -> int:
    """The index where the body of the group opening at ``i`` starts: after ``(?:``, ``(?P<n>``."""
    if pattern.startswith("(?P<", i):
        return pattern.index(">", i) + 1
    if pattern.startswith("(?", i):
        colon = re.match(r"\(\?[aiLmsux-]*:", pattern[i:])
        return i + (colon.end() if colon else 2)
    return i + 1


_COUNTED = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _quantifier(pattern: str, i: int) -> tuple[int, int | None] | None:
    """The (min, max) of the quantifier at ``i`` (max None: no bound), or None if there is none."""
    c = pattern[i : i + 1]
    if c in ("*", "+", "?"):
        if c == "?" and pattern[i - 1 : i] in ("*", "+", "?", "}", "("):
            return None  # the lazy marker of the quantifier before it, or a (?...) group
        return {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
    counted = _COUNTED.match(pattern, i) if c == "{" else None
    if counted is None or not (counted[1] or counted[3]):
        return None
    low = int(counted[1] or 0)
    if not counted[2]:
        return low, low
    return low, int(counted[3]) if counted[3] else None


def _separated(body: str) -> bool:
    """Whether ``body`` starts with a literal character that nothing else in it can match."""
    if not body or "|" in body:
        return False
    first, rest = (body[:2], body[2:]) if body[0] == "\\" else (body[:1], body[1:])
    if first in (".", "^", "$", "[", "(", ")") or (len(first) == 2 and first[1].isalnum()):
        return False  # not a literal: a wildcard, a class, an anchor or an escape like \d
    if _quantifier(rest, 0) is not None:
        return False  # an optional separator separates nothing
    separator = first[-1]
    return not any(re.fullmatch(atom, separator) for atom in _atoms(rest))


def _atoms(body: str) -> list[str]:
    """The character classes, escapes and wildcards of ``body``, each as a regex of its own."""
    atoms, i = [], 0
    while i < len(body):
        if body[i] == "[":
            end = _class_end(body, i)
            atoms.append(body[i:end])
            i = end
        elif body[i] == "\\":
            atoms.append(body[i : i + 2])
            i += 2
        else:
            if body[i] == ".":
                atoms.append(".")
            i += 1
    return atoms


def _class_end(pattern: str, start: int) -> int:
    """The index after the character class that opens at ``start`` (``[]a]`` holds ``]``)."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1

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

from dsl.regex.emit import emit
from dsl.regex.parser import parse_regex
from dsl.regex.tree import MAX_REPEAT, Flavor, Regex, RegexError

__all__ = ["RegexError", "Regex", "parse_regex", "emit", "MAX_REPEAT", "Flavor"]

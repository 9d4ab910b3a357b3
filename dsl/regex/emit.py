"""Emitting a checked pattern in each engine's syntax, with the DSL's meaning."""

from __future__ import annotations

from dsl.regex.tree import (
    ANY,
    MAX_CP,
    META,
    Alt,
    Chars,
    Flavor,
    Group,
    Node,
    Ranges,
    Regex,
    Seq,
    complement,
)

# ---- emitting ---------------------------------------------------------------------------------


def _char(cp: int, flavor: Flavor, *, in_class: bool = False) -> str:
    ch = chr(cp)
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    if ch in named:
        return named[ch]
    if ch in ("\\[]^-" if in_class else META):
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
    if ranges == ANY:
        return "."
    negate = bool(ranges) and ranges[-1][1] == MAX_CP
    inner = complement(ranges) if negate else ranges
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
        >>> from dsl.regex import parse_regex
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

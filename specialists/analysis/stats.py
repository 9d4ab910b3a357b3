"""Distribution statistics for the data_mode checks: PSI and the two-sample KS statistic.

Written out in plain Python (the samples are a few hundred rows; scipy is not a dependency):

- PSI (population stability index): ``sum((a - e) * ln(a / e))`` over bins cut at the expected
  sample's deciles, with empty bins smoothed to ``1e-4``. Below 0.1 is stable, 0.1-0.25 a
  moderate shift, above 0.25 a significant one (the usual reading).
- KS: the largest distance between the two empirical CDFs, and the critical value at
  alpha = 0.05, ``1.358 * sqrt((n + m) / (n * m))``.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence

__all__ = ["ks_critical", "ks_statistic", "median", "parse_number", "psi"]

_SMOOTH = 1e-4
_NOISE = re.compile(r"[\s$€£¥',]")
_EU_NOISE = re.compile(r"[\s$€£¥'.]")
#: A decimal comma: ``1.234,56``, ``1 234,56``, ``0,5`` (a comma followed by other than 3 digits,
#: or after the last dot).
_DECIMAL_COMMA = re.compile(
    r"^[^,]*[0-9](?:[.\s'][0-9]{3})*,[0-9]{1,2}(?:[^0-9].*)?$|^[^,.]*,[0-9]{1,2}$"
)


def parse_number(text: str | None) -> float | None:
    """A number from a source cell: currency signs, thousands separators and accounting
    negatives are read; anything else is None.

    Example:
        >>> parse_number("$1,250.50"), parse_number("(75.00)"), parse_number("20-")
        (1250.5, -75.0, -20.0)
        >>> parse_number("n/a") is None, parse_number("") is None
        (True, True)
        >>> parse_number("1.080,47"), parse_number("1 234,56"), parse_number("0,00")
        (1080.47, 1234.56, 0.0)
    """
    if text is None:
        return None
    if _DECIMAL_COMMA.match(text.strip()):
        value = _EU_NOISE.sub("", text).replace(",", ".")
    else:
        value = _NOISE.sub("", text)
    negative = False
    if value.startswith("(") and value.endswith(")"):
        value, negative = value[1:-1], True
    elif value.endswith("-"):
        value, negative = value[:-1], True
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return -number if negative else number


def median(values: Sequence[float]) -> float:
    """The median (the mean of the middle two for an even count).

    Example:
        >>> median([3.0, 1.0, 2.0]), median([4.0, 1.0, 2.0, 3.0])
        (2.0, 2.5)
    """
    if not values:
        raise ValueError("the median of no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def psi(expected: Sequence[float], actual: Sequence[float], bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``.

    Example:
        >>> psi([1.0, 2.0, 3.0, 4.0] * 5, [1.0, 2.0, 3.0, 4.0] * 5)
        0.0
        >>> psi([1.0, 2.0, 3.0, 4.0] * 5, [10.0, 20.0, 30.0, 40.0] * 5) > 0.25
        True
    """
    if not expected or not actual:
        raise ValueError("PSI needs values on both sides")
    ordered = sorted(expected)
    cuts = sorted({ordered[int(len(ordered) * k / bins)] for k in range(1, bins)})
    e_share = _shares(expected, cuts)
    a_share = _shares(actual, cuts)
    total = sum((a - e) * math.log(a / e) for e, a in zip(e_share, a_share, strict=True))
    return round(total, 6)


def _shares(values: Sequence[float], cuts: list[float]) -> list[float]:
    counts = [0] * (len(cuts) + 1)
    for v in values:
        counts[bisect.bisect_right(cuts, v)] += 1
    return [max(c / len(values), _SMOOTH) for c in counts]


def ks_statistic(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sample Kolmogorov-Smirnov statistic: max |F_a(x) - F_b(x)|.

    Example:
        >>> ks_statistic([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
        0.0
        >>> ks_statistic([1.0, 2.0], [3.0, 4.0])
        1.0
    """
    if not a or not b:
        raise ValueError("KS needs values on both sides")
    xs, ys = sorted(a), sorted(b)
    d = 0.0
    for point in sorted(set(xs) | set(ys)):
        fa = bisect.bisect_right(xs, point) / len(xs)
        fb = bisect.bisect_right(ys, point) / len(ys)
        d = max(d, abs(fa - fb))
    return round(d, 6)


def ks_critical(n: int, m: int, alpha_coefficient: float = 1.358) -> float:
    """The KS critical value for samples of ``n`` and ``m`` (alpha 0.05 by default).

    Example:
        >>> round(ks_critical(100, 100), 4)
        0.1921
    """
    return alpha_coefficient * math.sqrt((n + m) / (n * m))

"""ULIDs: 48 bits of milliseconds since the epoch, then 80 bits, in Crockford base32.

Run and event ids are ULIDs so they sort by creation time. A run created under an idempotency
key takes its 80 random bits from a hash of the key, so the id is a function of the key and the
first attempt's time; retries find the stored run by the key and return the same id.
"""

from __future__ import annotations

import hashlib
import os
import re
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID_RE = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def ulid(*, timestamp_ms: int | None = None, randomness: bytes | None = None) -> str:
    """Return a new ULID.

    Args:
        timestamp_ms: milliseconds since the epoch; now when omitted.
        randomness: the 10 low bytes; from ``os.urandom`` when omitted.

    Example:
        >>> ulid(timestamp_ms=0, randomness=bytes(10))
        '00000000000000000000000000'
    """
    ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    if not 0 <= ms < 2**48:
        raise ValueError("ULID timestamp out of range")
    rand = os.urandom(10) if randomness is None else randomness
    if len(rand) != 10:
        raise ValueError("ULID randomness must be 10 bytes")
    return _encode((ms << 80) | int.from_bytes(rand, "big"))


def ulid_for_key(key: str, *, timestamp_ms: int | None = None) -> str:
    """A ULID whose random part is derived from ``key`` (an idempotency key)."""
    digest = hashlib.sha256(b"conduit-run-id\x00" + key.encode("utf-8")).digest()
    return ulid(timestamp_ms=timestamp_ms, randomness=digest[:10])


def is_ulid(value: str) -> bool:
    """True when ``value`` is a canonical (upper-case) ULID.

    Example:
        >>> is_ulid("01J9ZQ8X3M4N5P6Q7R8S9T0V1W"), is_ulid("not-a-ulid")
        (True, False)
    """
    return bool(_ULID_RE.fullmatch(value))

"""Verification codes: 128 random bits written in Crockford's base32, grouped for typing."""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 26  # ceil(128 / 5)
GROUP = 4
# Crockford's decoding: case-insensitive; O reads as 0, I and L as 1; dashes and spaces ignored.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")
_VALID = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


def new_code() -> str:
    """Return a fresh code: 128 random bits as 26 Crockford base32 characters."""
    value = secrets.randbits(128)
    chars = []
    for _ in range(LENGTH):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def format_code(code: str) -> str:
    """Group a stored code for people: XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def parse_code(text: str) -> str | None:
    """Return the stored form of a typed code (any case, with or without dashes), or None."""
    if not text or len(text) > 80:
        return None
    compact = _SEPARATORS.sub("", text).upper().translate(_ALIASES)
    return compact if _VALID.fullmatch(compact) else None

"""Self-marking codes (pure): short codes that change every few minutes, like TOTP."""

import hashlib
import hmac
from datetime import datetime, timedelta

STEP_SECONDS = 180  # a new code every three minutes
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O or 1/I/L to misread
LENGTH = 6
MARGIN = timedelta(minutes=15)  # codes work from shortly before the start to shortly after the end


def code_at(secret: str, instant: datetime) -> str:
    """Return the code shown at an instant for a session's secret."""
    step = int(instant.timestamp()) // STEP_SECONDS
    digest = hmac.new(secret.encode(), str(step).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def normalise(text: str) -> str:
    """Return a typed code in its canonical form (upper case, no spaces or dashes)."""
    return "".join(c for c in (text or "").upper() if c.isalnum())[:16]


def is_valid(secret: str, typed: str, now: datetime) -> bool:
    """Accept the current code or the previous one (someone typing as it changes)."""
    typed = normalise(typed)
    if len(typed) != LENGTH:
        return False
    candidates = (code_at(secret, now), code_at(secret, now - timedelta(seconds=STEP_SECONDS)))
    return any(hmac.compare_digest(typed, c) for c in candidates)


def in_window(starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """Tell whether self-marking is open: the session's time, plus a margin either side."""
    return starts_at - MARGIN <= now <= ends_at + MARGIN

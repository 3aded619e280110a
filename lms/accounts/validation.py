"""What usernames, passwords and free text must be; the refused common passwords."""

import bisect
import gzip
import unicodedata
from array import array
from functools import cache
from importlib import resources

from flask_babel import gettext as _

from lms.accounts.errors import AccountError
from lms.core.security import canonical_key

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 4096  # long passphrases welcome; the cap only stops abuse
_BIDI_AND_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_text(value: str, max_length: int) -> str:
    """Normalise free text (NFC), drop control and bidi-override characters, trim."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(c for c in value if unicodedata.category(c) not in _BIDI_AND_CONTROL)
    return " ".join(value.split())[:max_length]


def username_key(username: str) -> str:
    """Return the comparison form of a username (NFKC, case-folded, trimmed)."""
    return canonical_key(username)


def check_username(username: str) -> str:
    """Validate a username and return it normalised; raise AccountError otherwise."""
    username = unicodedata.normalize("NFKC", username or "").strip()
    if not 3 <= len(username) <= 32:
        raise AccountError(_("Usernames are 3 to 32 characters long."))
    for char in username:
        if not (char.isalnum() or char in "._-"):
            raise AccountError(_("Usernames may contain letters, digits, dots, dashes and underscores."))
    return username


@cache
def common_passwords() -> array:
    """Return the refused common passwords (common_passwords.md says which), as sorted hashes.

    Loaded once, on the first check: about 200,000 64-bit hashes in 1.6 MB, where a set of the
    strings would take ten times that in every worker. Python's string hash is salted per
    process, which is fine: the hashes are made and compared in the same process.
    """
    data = resources.files("lms.accounts").joinpath("common_passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    return array("q", sorted(set(map(hash, filter(None, lines)))))


def is_common_password(password: str) -> bool:
    """Tell whether a password (compared NFKC, trimmed, case-folded) is in the bundled list."""
    hashes = common_passwords()
    wanted = hash(canonical_key(password))
    index = bisect.bisect_left(hashes, wanted)
    return index < len(hashes) and hashes[index] == wanted


def check_password(password: str, *, username: str = "") -> None:
    """Refuse passwords too short or long, common, one repeated character, or the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Passwords need at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("That password is too long."))
    folded = canonical_key(password)
    if len(set(folded)) <= 1 or (username and folded == username_key(username)):
        raise AccountError(_("That password is too easy to guess; choose another."))
    if is_common_password(password):
        raise AccountError(_("That password is too common; choose another."))

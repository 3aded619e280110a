"""The issuer's signing keys: Ed25519 keys in a JSON file outside the database (pure; no Flask).

The file holds every key ever made, newest last, with the private part; `current` names the one
that signs. Rotating adds a key and makes it current: the older keys stay in the file so their
public halves stay published and credentials signed with them still verify.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc.jwk import OKPKey

from lms.core.files import write_durably

FILE_VERSION = 1


# The multicodec prefix of an Ed25519 public key.
MULTIKEY_ED25519 = b"\xed\x01"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(data: bytes) -> str:
    """Encode bytes in Bitcoin's base58 alphabet."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _BASE58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def multikey(public: Ed25519PublicKey) -> str:
    """Return an Ed25519 public key as a Multikey publicKeyMultibase (z6Mk...)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58btc(MULTIKEY_ED25519 + raw)


class KeyFileError(Exception):
    """The key file is missing, unreadable or malformed; the message says which."""


@dataclass(frozen=True)
class SigningKey:
    """One Ed25519 key: its id (the JWK thumbprint), when it was made, and the key itself."""

    kid: str
    created: str
    key: OKPKey

    def public_jwk(self) -> dict:
        """Return the public half as a JWK (never "d")."""
        return {**self.key.as_dict(private=False), "kid": self.kid}

    @property
    def multikey(self) -> str:
        """Return the public half as a Multikey publicKeyMultibase (z6Mk...)."""
        return multikey(self.key.public_key)


@dataclass(frozen=True)
class KeyRing:
    """Every key of the issuer; `current` signs new credentials."""

    keys: tuple[SigningKey, ...]
    current: str

    @property
    def signing_key(self) -> SigningKey:
        """Return the key that signs now."""
        return next(k for k in self.keys if k.kid == self.current)

    def find(self, kid: str) -> SigningKey | None:
        """Return the key with this id, or None."""
        return next((k for k in self.keys if k.kid == kid), None)


def new_key() -> SigningKey:
    """Make a fresh Ed25519 key."""
    key = OKPKey.generate_key("Ed25519")
    return SigningKey(kid=key.thumbprint(), created=datetime.now(UTC).isoformat(timespec="seconds"), key=key)


def load(path: Path) -> KeyRing:
    """Read the key file, or raise KeyFileError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyFileError(f"No credentials key file at {path}: run `flask credentials keygen`.") from None
    except (OSError, ValueError) as error:
        raise KeyFileError(f"The credentials key file {path} cannot be read: {error}") from None
    try:
        keys = tuple(
            SigningKey(kid=entry["kid"], created=entry["created"], key=OKPKey.import_key(entry["jwk"]))
            for entry in data["keys"]
        )
        ring = KeyRing(keys=keys, current=data["current"])
        ring.signing_key  # noqa: B018 - fails if `current` names no key
    except (KeyError, TypeError, ValueError, StopIteration) as error:
        raise KeyFileError(f"The credentials key file {path} is malformed: {error!r}") from None
    for key in keys:
        if key.key.curve_name != "Ed25519" or not key.key.is_private:
            raise KeyFileError(
                f"The credentials key file {path} holds a key that is not a private Ed25519 key."
            )
    return ring


def save(path: Path, ring: KeyRing) -> None:
    """Write the key file atomically, readable by its owner only (0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": FILE_VERSION,
        "current": ring.current,
        "keys": [{"kid": k.kid, "created": k.created, "jwk": k.key.as_dict(private=True)} for k in ring.keys],
    }
    write_durably(path, json.dumps(data, indent=2).encode("utf-8"), mode=0o600)


def generate(path: Path) -> KeyRing:
    """Create the key file with one key; refuse to overwrite an existing one."""
    if Path(path).exists():
        raise KeyFileError(f"{path} already exists: use `flask credentials rotate` to add a key.")
    key = new_key()
    ring = KeyRing(keys=(key,), current=key.kid)
    save(path, ring)
    return ring


def rotate(path: Path) -> KeyRing:
    """Add a new key and make it current; the old keys stay (and stay published)."""
    ring = load(path)
    key = new_key()
    ring = KeyRing(keys=(*ring.keys, key), current=key.kid)
    save(path, ring)
    return ring

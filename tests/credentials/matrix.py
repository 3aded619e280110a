"""Access-matrix entries for the credentials routes (merged into tests/test_access_matrix.py).

URLs that need a signing key are `Keyed`: formatting one first makes sure the app's key file
exists (the session app's instance folder is a temp folder, so no machine key is involved).
Download cases reuse the certificates matrix's setup: each signed-in role owns one certificate.
"""

from tests.certificates.matrix import Prepared
from tests.matrix_support import LOGIN, Case, everyone, signed_in


def _ensure_key() -> None:
    from lms.credentials import keys, services

    if not services.key_path().exists():
        keys.generate(services.key_path())


class Keyed(str):
    """A URL whose formatting first makes sure the issuer has a key."""

    __slots__ = ()

    def format(self, *args, **objects):
        """Create the key if needed, then format as str.format does."""
        _ensure_key()
        return str.format(self, *args, **objects)


class KeyedCertificate(Prepared):
    """A certificate URL (see tests.certificates.matrix.Prepared) whose issuer has a key."""

    __slots__ = ()

    def format(self, *args, **objects):
        """Create the key and the certificates, then format."""
        _ensure_key()
        return super().format(*args, **objects)


MATRIX: dict[tuple[str, str], list[Case]] = {
    ("credentials.did_document", "GET"): [Case(Keyed("/.well-known/did.json"), everyone(200))],
    ("credentials.status_list", "GET"): [
        Case(Keyed("/credentials/status/1"), everyone(200)),
        Case(Keyed("/credentials/status/999"), everyone(404), label="missing"),
    ],
    ("credentials.download", "POST"): [
        Case(
            KeyedCertificate("/certificates/{own_certificate}/badge"),
            signed_in(200),
            {"format": "jwt"},
            "own",
        ),
        Case(
            KeyedCertificate("/certificates/{foreign_certificate}/badge"),
            {"anonymous": LOGIN, **dict.fromkeys(("learner", "trainer", "manager", "admin"), 404)},
            {"format": "png"},
            "foreign: only the owner",
        ),
        Case("/certificates/999999/badge", signed_in(404), {"format": "jwt"}, "missing"),
    ],
    ("credentials.verify", "GET"): [Case("/credentials/verify", everyone(200))],
    ("credentials.verify", "POST"): [
        Case(Keyed("/credentials/verify"), everyone(422), {"pasted": "not a credential"}, "malformed")
    ],
}

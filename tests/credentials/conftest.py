"""Fixtures for credentials: a key file in a temp folder, an issued certificate, a schema validator."""

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jsonschema import Draft201909Validator

from lms.certificates import services as certificates
from lms.credentials import keys
from tests.certificates.conftest import course, fake_pdf, learner, storage  # noqa: F401 - shared fixtures

SCHEMA = Path(__file__).resolve().parent / "schema" / "ob_v3p0_achievementcredential_schema.json"
SITE_URL = "https://tamkeen.example.org"
ARABIC_NAME = "أمينة بنت خالد الحدّاد"


@pytest.fixture
def key_file(app, tmp_path, monkeypatch):
    """A fresh issuer key file in a temp folder (never the machine's)."""
    path = tmp_path / "keys" / "credentials-key.json"
    monkeypatch.setitem(app.config, "CREDENTIALS_KEY_FILE", str(path))
    monkeypatch.setitem(app.config, "SITE_URL", SITE_URL)
    keys.generate(path)
    return path


@pytest.fixture
def certificate(learner, course, fake_pdf, key_file):  # noqa: F811
    """The signed-in learner's certificate, issued in Arabic with an Arabic name."""
    return certificates.issue_certificate(learner, course, ARABIC_NAME, "ar")


@pytest.fixture(scope="session")
def ob_schema():
    """A validator for the official OB 3.0 AchievementCredential JSON Schema (bundled copy)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def b64url(part: str) -> bytes:
    """Decode base64url without padding."""
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode(token: str) -> tuple[dict, dict]:
    """Return (header, payload) of a compact JWS, read by hand."""
    header, payload, _ = token.split(".")
    return json.loads(b64url(header)), json.loads(b64url(payload))


def independent_verify(token: str, did_document: dict) -> bool:
    """Check an EdDSA compact JWS with `cryptography` only, the key taken from the DID document."""
    header, _ = decode(token)
    method = next(m for m in did_document["verificationMethod"] if m["id"] == header["kid"])
    public = Ed25519PublicKey.from_public_bytes(b64url(method["publicKeyJwk"]["x"]))
    signing_input, signature = token.rsplit(".", 1)
    try:
        public.verify(b64url(signature), signing_input.encode("ascii"))
    except Exception:  # cryptography raises InvalidSignature
        return False
    return True


def download(client, certificate_id: int, kind: str = "jwt", with_name: bool = False):
    """POST the badge download form as the certificate page would."""
    data = {"format": kind}
    if with_name:
        data["with_name"] = "y"
    return client.post_form(
        f"/certificates/{certificate_id}/badge", data, token_from=f"/certificates/{certificate_id}"
    )

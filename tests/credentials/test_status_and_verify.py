"""Revocation (status list), expiry, tampering, unknown keys, and the verifiers (page and CLI)."""

import base64
import copy
import gzip
import io
import json
from datetime import timedelta

import pytest
from PIL import Image

from lms.certificates import services as certificates
from lms.core.db import utcnow
from lms.credentials import baking, keys, services, vc, verification
from lms.credentials.models import Credential
from lms.extensions import db
from tests.credentials.conftest import ARABIC_NAME, SITE_URL, b64url, decode, download, independent_verify


def _token(client, certificate, **kw) -> str:
    response = download(client, certificate.id, **kw)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _status_bit(client, credential_status: dict) -> bool:
    """Fetch the status list over HTTP and read the bit by hand (gzip + base64url + big-endian bits)."""
    url = credential_status["statusListCredential"]
    assert url.startswith(SITE_URL)
    response = client.get(url.removeprefix(SITE_URL))
    assert response.status_code == 200
    token = response.get_data(as_text=True)
    assert independent_verify(token, client.get("/.well-known/did.json").get_json(force=True))
    _, status_list = decode(token)
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = status_list["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    bits = gzip.decompress(b64url(subject["encodedList"][1:]))
    assert len(bits) == 16 * 1024  # 131,072 entries: herd privacy
    index = int(credential_status["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _admin(make_user):
    return make_user(username="cred-admin", role="admin")


def test_signals_have_subscribers(app):
    # Without them, revoking a certificate would leave its credentials valid.
    assert certificates.certificate_revoked.receivers
    assert certificates.certificate_reissued.receivers
    assert certificates.certificate_page.receivers


def test_valid_credential_verifies(client, certificate):
    outcome = services.verify_upload(_token(client, certificate).encode())
    assert outcome.status == "valid", outcome.reason


def test_revoking_the_certificate_flips_its_bit_and_verifiers_see_it(client, certificate, make_user):
    _, payload = decode(_token(client, certificate))
    assert _status_bit(client, payload["credentialStatus"]) is False
    certificates.revoke(_admin(make_user), certificate, "Issued by mistake")
    assert _status_bit(client, payload["credentialStatus"]) is True
    token = _token_of(payload["id"], certificate)
    outcome = services.verify_upload(token.encode())
    assert outcome.status == "revoked", outcome.reason


def _token_of(credential_id: str, certificate) -> str:
    # Re-sign a known credential row the way a download did (same content, same signature).
    row = db.session.query(Credential).filter_by(uuid=credential_id.removeprefix("urn:uuid:")).one()
    document = services.credential_document(row, certificate, certificate.user)
    return vc.sign(document, services.issuer_did(), services.key_ring().signing_key)


def test_reissuing_gives_a_new_credential_and_revokes_the_old(client, certificate, make_user, fake_pdf):
    old_token = _token(client, certificate)
    _, old = decode(old_token)
    certificates.reissue(_admin(make_user), certificate, name="أمينة الحداد", locale="ar")
    assert services.verify_upload(old_token.encode()).status == "revoked"
    _, new = decode(_token(client, certificate))
    assert new["id"] != old["id"]
    assert new["credentialStatus"]["statusListIndex"] != old["credentialStatus"]["statusListIndex"]
    assert _status_bit(client, new["credentialStatus"]) is False
    assert _status_bit(client, old["credentialStatus"]) is True


def test_erasing_the_certificate_keeps_its_bit_set(client, certificate, learner):
    token = _token(client, certificate)
    _, payload = decode(token)
    certificates.erase_for(learner)
    row = db.session.query(Credential).one()
    db.session.refresh(row)
    assert row.certificate_id is None
    assert _status_bit(client, payload["credentialStatus"]) is True
    assert services.verify_upload(token.encode()).status == "revoked"


def test_expired_credential_says_expired(client, learner, course, fake_pdf, key_file):
    course.certificate_valid_years = 1
    db.session.flush()
    certificate = certificates.issue_certificate(learner, course, ARABIC_NAME, "ar")
    token = _token(client, certificate)
    later = certificate.expires_at + timedelta(days=1)
    outcome = verification.verify(token, services.SiteResolver(later), now=later)
    assert outcome.status == "expired", outcome.reason
    assert verification.verify(token, services.SiteResolver()).status == "valid"


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


def _changed(payload: dict, path) -> dict:
    changed = copy.deepcopy(payload)
    target = changed
    for key in path[:-1]:
        target = target[key]
    old = target[path[-1]]
    target[path[-1]] = (
        (old + 1)
        if isinstance(old, int) and not isinstance(old, bool)
        else ((not old) if isinstance(old, bool) else str(old) + "x")
    )
    return changed


def test_tampering_with_any_claim_fails(client, certificate):
    token = _token(client, certificate, with_name=True)
    header_part, _, signature = token.split(".")
    _, payload = decode(token)
    paths = list(_leaves(payload))
    assert len(paths) > 30
    for path in paths:
        forged_payload = json.dumps(_changed(payload, path), ensure_ascii=False).encode()
        forged = ".".join(
            [header_part, base64.urlsafe_b64encode(forged_payload).rstrip(b"=").decode(), signature]
        )
        outcome = services.verify_upload(forged.encode())
        assert outcome.status in {"tampered", "unknown_issuer"}, (path, outcome.status, outcome.reason)
        if path[0] not in {"iss"}:
            assert outcome.status == "tampered", (path, outcome.reason)


def test_a_key_the_issuer_does_not_publish_is_unknown(client, certificate):
    _, payload = decode(_token(client, certificate))
    stranger = keys.new_key()
    forged = vc.sign(
        {k: v for k, v in payload.items() if k not in {"iss", "jti", "nbf", "sub"}},
        services.issuer_did(),
        stranger,
    )
    outcome = services.verify_upload(forged.encode())
    assert outcome.status == "unknown_issuer", outcome.reason


def test_another_issuer_is_unknown(client, certificate):
    _, payload = decode(_token(client, certificate))
    payload = {k: v for k, v in payload.items() if k not in {"iss", "jti", "nbf", "sub"}}
    payload["issuer"] = {**payload["issuer"], "id": "did:web:evil.example"}
    forged = vc.sign(payload, "did:web:evil.example", keys.new_key())
    assert services.verify_upload(forged.encode()).status == "unknown_issuer"


def test_rotation_keeps_old_credentials_verifiable(client, certificate, key_file, runner):
    old_token = _token(client, certificate)
    result = runner.invoke(args=["credentials", "rotate"])
    assert result.exit_code == 0, result.output
    document = client.get("/.well-known/did.json").get_json(force=True)
    assert [m["type"] for m in document["verificationMethod"]] == ["JsonWebKey", "Multikey"] * 2
    assert independent_verify(old_token, document)
    assert services.verify_upload(old_token.encode()).status == "valid"
    new_token = _token(client, certificate)
    assert decode(new_token)[0]["kid"] != decode(old_token)[0]["kid"]
    assert services.verify_upload(new_token.encode()).status == "valid"


def test_keygen_refuses_to_overwrite_and_creates_a_0600_file(runner, app, tmp_path, monkeypatch):
    path = tmp_path / "k" / "key.json"
    monkeypatch.setitem(app.config, "CREDENTIALS_KEY_FILE", str(path))
    result = runner.invoke(args=["credentials", "keygen"])
    assert result.exit_code == 0, result.output
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    before = path.read_bytes()
    result = runner.invoke(args=["credentials", "keygen"])
    assert result.exit_code != 0 and "already exists" in result.output
    assert runner.invoke(args=["credentials", "keygen", "--if-missing"]).exit_code == 0
    assert path.read_bytes() == before


def test_cli_verify_prints_the_decoded_credential_and_the_verdict(client, certificate, runner, tmp_path):
    path = tmp_path / "badge.png"
    path.write_bytes(download(client, certificate.id, kind="png", with_name=True).get_data())
    result = runner.invoke(args=["credentials", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert ARABIC_NAME in result.output and result.output.rstrip().splitlines()[-1].startswith("VALID")
    broken = tmp_path / "broken.jwt"
    broken.write_text("not.a.credential")
    result = runner.invoke(args=["credentials", "verify", str(broken)])
    assert result.exit_code == 1 and "MALFORMED" in result.output


def test_verify_page_accepts_a_paste_and_a_baked_png(client, certificate):
    token = _token(client, certificate, with_name=True)
    page = client.post_form("/credentials/verify", {"pasted": token}, token_from="/credentials/verify")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Valid" in text and ARABIC_NAME in text
    png = download(client, certificate.id, kind="png").get_data()
    page = client.post_form(
        "/credentials/verify",
        {"upload": (io.BytesIO(png), "badge.png")},
        token_from="/credentials/verify",
        content_type="multipart/form-data",
    )
    assert page.status_code == 200 and "Valid" in page.get_data(as_text=True)


def _png_without_badge() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="PNG")
    return out.getvalue()


MALFORMED = [
    b"hello",
    b"a.b.c",
    b"eyJhbGciOiJFZERTQSJ9.eyJ.sig",
    b'{"@context": ["https://www.w3.org/ns/credentials/v2"]}',
    "\u202e".encode() * 10,
    b"\xff\xfe\x00garbage",
    b"..",
    b"W10.W10.W10",  # JSON arrays, not objects
]


@pytest.mark.parametrize("data", MALFORMED)
def test_malformed_paste_gets_a_clear_message_never_a_500(client, key_file, data):
    page = client.post_form(
        "/credentials/verify", {"pasted": data.decode("utf-8", "replace")}, token_from="/credentials/verify"
    )
    assert page.status_code == 422
    assert "Not a credential we can read" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "png",
    [
        _png_without_badge(),
        _png_without_badge()[:30],
        baking.PNG_SIGNATURE + b"\x00\x00\x00\x05iTXtopenb\x00\x00\x00\x00",
    ],
)
def test_malformed_png_upload_gets_a_clear_message(client, key_file, png):
    page = client.post_form(
        "/credentials/verify",
        {"upload": (io.BytesIO(png), "badge.png")},
        token_from="/credentials/verify",
        content_type="multipart/form-data",
    )
    assert page.status_code == 422


def test_oversized_input_is_refused_with_413(client, key_file, app):
    limit = app.config["CREDENTIALS_MAX_UPLOAD_BYTES"]
    page = client.post_form(
        "/credentials/verify",
        {"upload": (io.BytesIO(b"x" * (limit + 1)), "big.png")},
        token_from="/credentials/verify",
        content_type="multipart/form-data",
    )
    assert page.status_code == 413
    page = client.post_form(
        "/credentials/verify",
        # Refused before the form is read (CSRF included); kept under the test client's 500 KB
        # spooling threshold, above which its unread temporary file would leak.
        {"upload": (io.BytesIO(b"x" * (limit + 64 * 1024)), "big.png")},
        token_from="/credentials/verify",
        content_type="multipart/form-data",
    )
    assert page.status_code == 413


def test_status_list_out_of_range_is_404(client, key_file):
    assert client.get("/credentials/status/1").status_code == 200
    assert client.get("/credentials/status/0").status_code == 404
    assert client.get("/credentials/status/2").status_code == 404


def test_status_list_is_signed_now_and_short_lived(client, key_file):
    _, payload = decode(client.get("/credentials/status/1").get_data(as_text=True))
    assert payload["issuer"] == payload["iss"] == services.issuer_did()
    assert (
        vc.parse_iso(payload["validUntil"]) - vc.parse_iso(payload["validFrom"])
        == services.STATUS_LIST_LIFETIME
    )
    assert abs(vc.parse_iso(payload["validFrom"]) - utcnow()) < timedelta(minutes=1)

"""Issuing: OB 3.0 credentials that match the official schema, signed, private by default."""

import hashlib
import io
import stat

import pytest
from PIL import Image

from lms.core.errors import DomainError
from lms.credentials import baking, services, vc
from tests.core.scripts import assert_only_the_exit_script
from tests.credentials.conftest import ARABIC_NAME, decode, download, independent_verify


def _did(client) -> dict:
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    return response.get_json(force=True)


def test_downloaded_credential_is_valid_ob3_against_the_official_schema(client, certificate, ob_schema):
    response = download(client, certificate.id)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.jwt"')
    header, payload = decode(response.get_data(as_text=True))
    errors = sorted(ob_schema.iter_errors(payload), key=str)
    assert not errors, [e.message for e in errors]
    assert header["alg"] == "EdDSA" and header["typ"] == "JWT"
    assert payload["@context"] == [vc.VC_CONTEXT, vc.OB_CONTEXT]
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]


def test_credential_signature_verifies_with_cryptography_and_the_published_key(client, certificate):
    token = download(client, certificate.id).get_data(as_text=True)
    document = _did(client)
    header, payload = decode(token)
    assert payload["iss"] == payload["issuer"]["id"] == document["id"] == "did:web:tamkeen.example.org"
    assert header["kid"] in document["assertionMethod"]
    assert "d" not in document["verificationMethod"][0]["publicKeyJwk"]
    assert independent_verify(token, document)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert not independent_verify(forged, document)


def test_achievement_carries_course_in_certificate_language_hours_and_criteria(client, certificate, course):
    _, payload = decode(download(client, certificate.id).get_data(as_text=True))
    achievement = payload["credentialSubject"]["achievement"]
    assert achievement["name"] == course.title_in("ar") == payload["name"]
    assert achievement["achievementType"] == "Certificate"
    assert achievement["inLanguage"] == "ar"
    assert achievement["creditsAvailable"] == round(course.estimated_minutes / 60, 1)
    assert course.title_in("ar") in achievement["criteria"]["narrative"]
    assert payload["validFrom"] <= vc.iso(vc.datetime.now(vc.UTC))
    assert payload["awardedDate"] == vc.iso(certificate.issued_at)
    assert "validUntil" not in payload and "exp" not in payload  # the course's certificates never expire


def test_expiring_certificate_gives_valid_until_and_exp(client, learner, course, fake_pdf, key_file):
    from lms.certificates import services as certificates
    from lms.extensions import db

    course.certificate_valid_years = 2
    db.session.flush()
    certificate = certificates.issue_certificate(learner, course, "Amina", "en")
    _, payload = decode(download(client, certificate.id).get_data(as_text=True))
    assert payload["validUntil"] == vc.iso(certificate.expires_at)
    assert payload["exp"] == int(certificate.expires_at.timestamp())


def test_recipient_is_a_salted_hash_by_default_and_the_name_only_when_ticked(client, certificate, learner):
    token = download(client, certificate.id).get_data(as_text=True)
    _, payload = decode(token)
    identifiers = payload["credentialSubject"]["identifier"]
    assert len(identifiers) == 1
    identity = identifiers[0]
    assert identity["hashed"] is True and identity["identityType"] == "identifier"
    expected = hashlib.sha256((learner.public_id + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == "sha256$" + expected
    assert ARABIC_NAME not in str(payload) and learner.username not in str(payload)
    assert learner.public_id not in str(payload)

    _, named = decode(download(client, certificate.id, with_name=True).get_data(as_text=True))
    name = [i for i in named["credentialSubject"]["identifier"] if i["identityType"] == "name"]
    assert name == [
        {"type": "IdentityObject", "hashed": False, "identityHash": ARABIC_NAME, "identityType": "name"}
    ]
    assert named["id"] != payload["id"]  # two disclosures, two credentials, two status entries


def test_downloading_again_gives_the_same_credential(client, certificate):
    first = decode(download(client, certificate.id).get_data(as_text=True))[1]
    second = decode(download(client, certificate.id).get_data(as_text=True))[1]
    assert first["id"] == second["id"]
    assert first["credentialStatus"] == second["credentialStatus"]


def test_baked_png_holds_the_credential_in_an_openbadgecredential_itxt_chunk(client, certificate):
    token = download(client, certificate.id).get_data(as_text=True)
    response = download(client, certificate.id, kind="png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    data = response.get_data()
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.text["openbadgecredential"] == token  # read by Pillow, not by our own parser
    assert data.count(b"iTXt") == 1
    assert baking.extract_from_png(data) == token


def test_certificate_page_offers_the_downloads_without_javascript(client, certificate):
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    assert f'action="/certificates/{certificate.id}/badge"' in page
    assert 'name="with_name"' in page
    assert 'value="json"' in page and 'value="jwt"' in page and 'value="png"' in page
    assert "Download as Open Badge (.json)" in page
    assert_only_the_exit_script(page)  # the downloads need no script: only the quick exit's file


def test_only_the_owner_can_download_and_only_by_post(client, certificate, make_user, auth):
    assert client.get(f"/certificates/{certificate.id}/badge").status_code == 405
    auth.logout()
    make_user(username="someone-else")
    auth.login("someone-else")
    assert download(client, certificate.id).status_code == 404


def test_revoked_certificate_cannot_be_downloaded_as_a_credential(client, certificate, make_user, db):
    from lms.certificates import services as certificates

    admin = make_user(username="cred-admin", role="admin")
    certificates.revoke(admin, certificate, "Plagiarism")
    response = download(client, certificate.id)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only a valid certificate can be downloaded as a credential." in page


def test_no_key_file_means_503_and_nothing_issued(client, certificate, key_file):
    from lms.credentials.models import Credential
    from tests.certificates.helpers import count

    key_file.unlink()
    refused = download(client, certificate.id)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "300"
    assert "not available on this site just now" in refused.get_data(as_text=True)
    for path in ("/.well-known/did.json", "/credentials/status/1"):
        response = client.get(path)
        assert response.status_code == 503 and response.headers["Retry-After"] == "300"
    assert count(Credential) == 0


def test_credential_errors_carry_their_status(certificate, make_user):
    stranger = make_user(username="not-the-owner")
    with pytest.raises(services.CredentialError) as refused:
        services.issue(stranger, certificate, with_name=False)
    assert refused.value.status == 403 and isinstance(refused.value, DomainError)
    assert services.KeysUnavailable.status == 503


def test_key_file_is_private(db, key_file):
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert services.key_path() == key_file


def test_learner_data_download_lists_their_credentials_without_the_name(client, certificate):
    _, payload = decode(download(client, certificate.id, with_name=True).get_data(as_text=True))
    data = client.get("/me/data.json").get_json(force=True)
    (entry,) = data["open_badges"]
    assert entry["id"] == payload["id"] and entry["includes_name"] is True and entry["revoked_at"] is None

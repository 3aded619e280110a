"""The .json download: an embedded eddsa-rdfc-2022 Data Integrity proof, checked against the
1EdTech test vector, verified independently, and refused when tampered with."""

import copy
import hashlib
import json
from datetime import UTC, datetime

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from lms.certificates import services as certificates
from lms.credentials import integrity, keys, services, vc
from tests.credentials.conftest import ARABIC_NAME, b64url, download
from tests.credentials.test_status_and_verify import _changed, _leaves

# From the OB 3.0 implementation guide, "Linked Data Proof" appendix (1EdTech/openbadges-specification,
# ob_v3p0/impl/linked-data-proof-ob.html and test-vectors/obv3p0/).
VECTOR_KEY = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
VECTOR_METHOD = "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
VECTOR_DOCUMENT = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "http://example.com/credentials/3527",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {
        "id": "https://example.edu/issuers/565049",
        "type": ["Profile"],
        "url": "https://www.imsglobal.org",
        "name": "Example Corp",
    },
    "validFrom": "2010-01-01T00:00:00Z",
    "name": "Teamwork Badge",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://example.com/achievements/21st-century-skills/teamwork",
            "type": ["Achievement"],
            "criteria": {
                "narrative": "Team members are nominated for this badge by their peers and recognized "
                "upon review by Example Corp management."
            },
            "description": "This badge recognizes the development of the capacity to collaborate within a group environment.",
            "name": "Teamwork",
        },
    },
}


def test_proof_matches_the_1edtech_test_vector():
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTOR_KEY))
    assert keys.multikey(key.public_key()) == VECTOR_METHOD.split("#")[1]
    canonical = integrity.canonize(VECTOR_DOCUMENT)
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
    )
    signed = integrity.add_proof(
        VECTOR_DOCUMENT, key, VECTOR_METHOD, datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC)
    )
    assert signed["proof"]["proofValue"] == (
        "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"
    )


def _json(client, certificate, **kw) -> dict:
    response = download(client, certificate.id, kind="json", **kw)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.json"')
    return json.loads(response.get_data(as_text=True))


def _independent_check(document: dict, did_document: dict) -> bool:
    """Recompute the eddsa-rdfc-2022 hash with PyLD directly and check it with `cryptography`."""
    loader_docs = {
        url: json.loads((vc.CONTEXTS_DIR / name).read_text(encoding="utf-8"))
        for url, name in vc.BUNDLED_CONTEXTS.items()
    }

    def loader(url, options=None):
        return {"contextUrl": None, "documentUrl": url, "document": loader_docs[url]}

    def nquads(value):
        return jsonld.normalize(
            value, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
        )

    (proof,) = document["proof"]
    proof = dict(proof)
    value = proof.pop("proofValue")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    data = (
        hashlib.sha256(nquads({**proof, "@context": document["@context"]}).encode()).digest()
        + hashlib.sha256(nquads(unsecured).encode()).digest()
    )
    method = next(m for m in did_document["verificationMethod"] if m["id"] == proof["verificationMethod"])
    assert method["type"] == "Multikey"
    raw = base58.b58decode(method["publicKeyMultibase"][1:])  # another base58 implementation
    assert raw[:2] == b"\xed\x01"
    public = Ed25519PublicKey.from_public_bytes(raw[2:])
    try:
        public.verify(base58.b58decode(value[1:]), data)
    except Exception:
        return False
    return True


def test_json_download_is_schema_valid_with_an_embedded_proof(client, certificate, ob_schema):
    document = _json(client, certificate, with_name=True)
    errors = sorted(ob_schema.iter_errors(document), key=str)
    assert not errors, [e.message for e in errors]
    (proof,) = document["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"].startswith(services.issuer_did() + "#z6Mk")
    did_document = client.get("/.well-known/did.json").get_json(force=True)
    assert _independent_check(document, did_document)
    assert services.verify_upload(json.dumps(document).encode()).status == "valid"
    name = [i for i in document["credentialSubject"]["identifier"] if i["identityType"] == "name"]
    assert name[0]["identityHash"] == ARABIC_NAME


def test_json_and_jwt_of_one_download_choice_are_the_same_credential(client, certificate):
    document = _json(client, certificate)
    token = download(client, certificate.id, kind="jwt").get_data(as_text=True)
    payload = json.loads(b64url(token.split(".")[1]))
    assert {k: v for k, v in document.items() if k != "proof"} == {
        k: v for k, v in payload.items() if k not in {"iss", "jti", "nbf", "sub", "exp"}
    }


def test_tampering_with_any_value_of_the_json_fails(client, certificate):
    document = _json(client, certificate, with_name=True)
    paths = [p for p in _leaves(document) if p[0] != "proof"]
    assert len(paths) > 30
    for path in paths:
        outcome = services.verify_upload(json.dumps(_changed(document, path), ensure_ascii=False).encode())
        assert outcome.status in {"tampered", "unknown_issuer", "malformed"}, (path, outcome.reason)
        assert outcome.status != "valid"


@pytest.mark.parametrize("field", ["created", "verificationMethod", "proofValue"])
def test_tampering_with_the_proof_fails(client, certificate, field):
    document = _json(client, certificate)
    forged = copy.deepcopy(document)
    value = forged["proof"][0][field]
    forged["proof"][0][field] = value[:-2] + ("ab" if not value.endswith("ab") else "cd")
    outcome = services.verify_upload(json.dumps(forged).encode())
    assert outcome.status in {"tampered", "unknown_issuer", "malformed"}, outcome.reason


def test_revoked_json_credential_says_revoked(client, certificate, make_user):
    document = _json(client, certificate)
    certificates.revoke(make_user(username="cred-admin", role="admin"), certificate, "Mistake")
    assert services.verify_upload(json.dumps(document).encode()).status == "revoked"


def test_a_context_that_is_not_bundled_is_refused_not_fetched(client, certificate):
    document = _json(client, certificate)
    document["@context"] = [*document["@context"], "https://evil.example/context.json"]
    outcome = services.verify_upload(json.dumps(document).encode())
    assert outcome.status in {"malformed", "tampered"}
    assert outcome.status != "valid"


def test_json_upload_on_the_verify_page(client, certificate):
    document = _json(client, certificate, with_name=True)
    page = client.post_form(
        "/credentials/verify",
        {"pasted": json.dumps(document, ensure_ascii=False)},
        token_from="/credentials/verify",
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Valid" in text and ARABIC_NAME in text


def test_deeply_nested_json_is_malformed_not_a_crash(client, key_file):
    page = client.post_form(
        "/credentials/verify",
        {"pasted": "{" + '"a":[' * 5000 + "]" * 5000 + "}"},
        token_from="/credentials/verify",
    )
    assert page.status_code == 422

"""Whatever is pasted or uploaded, verification answers with a status, never an exception."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.credentials import services, vc
from tests.credentials.conftest import download

STATUSES = {"valid", "revoked", "expired", "not_yet_valid", "tampered", "unknown_issuer", "malformed"}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@SLOW
@given(data=st.binary(max_size=300))
def test_any_bytes(db, key_file, data):
    assert services.verify_upload(data).status in STATUSES


@SLOW
@given(value=JSON)
def test_any_json(db, key_file, value):
    assert services.verify_upload(json.dumps(value).encode()).status in STATUSES


def _tweak(document: dict, path: tuple, value):
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


PATHS = [
    ("@context",),
    ("issuer",),
    ("credentialSubject",),
    ("credentialStatus",),
    ("validFrom",),
    ("type",),
    ("id",),
]


@SLOW
@given(index=st.sampled_from(range(len(PATHS))), value=JSON)
def test_signed_looking_json_with_any_value(client, certificate, index, value):
    # Our issuer and a real verification method, so the canonicaliser really runs on it.
    response = download(client, certificate.id, kind="json")
    document = json.loads(response.get_data(as_text=True))
    outcome = services.verify_upload(json.dumps(_tweak(document, PATHS[index], value)).encode())
    assert outcome.status in STATUSES - {"valid"}


@SLOW
@given(header=JSON, payload=JSON)
def test_any_jwt_parts(db, key_file, header, payload):
    def part(value):
        return vc.base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = f"{part(header)}.{part(payload)}.c2lnbmF0dXJl"
    assert services.verify_upload(token.encode()).status in STATUSES - {"valid"}

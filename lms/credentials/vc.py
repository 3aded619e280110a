"""Open Badges 3.0 as VC-JWT: the issuer's identity, dates, signing and status lists (pure; no Flask).

Baked PNGs are in `baking`, verification in `verification`.
"""

import base64
import binascii
import gzip
import json
import warnings
import zlib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from joserfc import jws
from joserfc.errors import SecurityWarning

from lms.credentials.keys import KeyRing, SigningKey

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
# The contexts we know, by URL, bundled so that nothing is fetched while verifying.
BUNDLED_CONTEXTS = {
    VC_CONTEXT: "credentials-v2.json",
    OB_CONTEXT: "ob-v3p0-context-3.0.3.json",
}
# RFC 9864 deprecates "EdDSA" for the fully specified "Ed25519"; wallets know "EdDSA", so we
# sign with it and accept both.
SIGNING_ALG = "EdDSA"
ACCEPTED_ALGS = ["EdDSA", "Ed25519"]
# W3C Bitstring Status List: at least 16 KiB (131,072 entries) so one entry hides in the herd.
STATUS_LIST_SIZE = 131_072
MAX_TOKEN_CHARS = 64 * 1024


class MalformedCredential(Exception):
    """The input is not a credential we can read; the message says why (for the user)."""


# Identity ---------------------------------------------------------------------------------------


def did_web(site_url: str) -> str:
    """Return the did:web of a site URL (a port is percent-encoded, a path becomes segments)."""
    parts = urlsplit(site_url)
    host = quote(parts.netloc, safe="")
    segments = [quote(s, safe="") for s in parts.path.strip("/").split("/") if s]
    return ":".join(["did:web", host, *segments])


def key_id(did: str, key: SigningKey) -> str:
    """Return the verification method id of a key in the DID document."""
    return f"{did}#{key.kid}"


def multikey_id(did: str, key: SigningKey) -> str:
    """Return the Multikey verification method id of a key (for Data Integrity proofs)."""
    return f"{did}#{key.multikey}"


def verification_methods(did: str, ring: KeyRing) -> dict[str, dict]:
    """Return every public key by verification method id: each key as a JWK and as a Multikey."""
    methods = {}
    for k in ring.keys:
        methods[key_id(did, k)] = k.public_jwk()
        methods[multikey_id(did, k)] = k.public_jwk()
    return methods


def did_document(did: str, ring: KeyRing) -> dict:
    """Return the DID document: every key (old ones too) as a JsonWebKey and as a Multikey."""
    methods = []
    for k in ring.keys:
        methods.append(
            {"id": key_id(did, k), "type": "JsonWebKey", "controller": did, "publicKeyJwk": k.public_jwk()}
        )
        methods.append(
            {
                "id": multikey_id(did, k),
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": k.multikey,
            }
        )
    ids = [m["id"] for m in methods]
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/jwk/v1",
            "https://w3id.org/security/multikey/v1",
        ],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    }


# Dates ------------------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """Return a UTC moment as an XML Schema dateTime with a Z."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_iso(text) -> datetime:
    """Parse a dateTime of a credential, or raise MalformedCredential."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedCredential(f"Not a date: {str(text)[:40]!r}") from None
    if moment.tzinfo is None:
        raise MalformedCredential(f"A date without a time zone: {str(text)[:40]!r}")
    return moment.astimezone(UTC)


# Signing ----------------------------------------------------------------------------------------


def jwt_claims(credential: dict) -> dict:
    """Return the JWT claims OB 3.0 requires next to the credential (iss, jti, nbf, sub, exp)."""
    claims = {
        "iss": credential["issuer"]["id"] if isinstance(credential["issuer"], dict) else credential["issuer"],
        "jti": credential["id"],
        "nbf": int(parse_iso(credential["validFrom"]).timestamp()),
    }
    subject = credential.get("credentialSubject", {})
    if isinstance(subject, dict) and "id" in subject:
        claims["sub"] = subject["id"]
    if "validUntil" in credential:
        claims["exp"] = int(parse_iso(credential["validUntil"]).timestamp())
    return claims


def sign(credential: dict, did: str, key: SigningKey) -> str:
    """Sign a credential as a VC-JWT (compact JWS, EdDSA): the payload is the credential and its claims."""
    payload = {**credential, **jwt_claims(credential)}
    header = {"alg": SIGNING_ALG, "kid": key_id(did, key), "typ": "JWT"}
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return jws.serialize_compact(header, data, key.key, algorithms=[SIGNING_ALG])


# Status lists -----------------------------------------------------------------------------------


def status_position(credential_number: int) -> tuple[int, int]:
    """Return (list number, index in it) of a credential's status entry."""
    return credential_number // STATUS_LIST_SIZE + 1, credential_number % STATUS_LIST_SIZE


def encode_bits(set_indexes, size: int = STATUS_LIST_SIZE) -> str:
    """Return a bitstring's encodedList: multibase base64url (no padding) of its GZIP, bit 0 leftmost."""
    bits = bytearray(size // 8)
    for index in set_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bits(encoded: str, max_bytes: int = STATUS_LIST_SIZE) -> bytes:
    """Return the bitstring of an encodedList, or raise MalformedCredential."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise MalformedCredential("The status list is not multibase base64url.")
    try:
        compressed = b64url_bytes(encoded[1:])
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        bits = inflater.decompress(compressed, max_bytes + 1)
    except (ValueError, zlib.error):
        raise MalformedCredential("The status list cannot be decoded.") from None
    if len(bits) > max_bytes:
        raise MalformedCredential("The status list is too long.")
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    """Tell whether a bitstring has the bit at `index` set (bit 0 leftmost)."""
    if index < 0 or index // 8 >= len(bits):
        raise MalformedCredential("The status index is outside the status list.")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(
    url: str, did: str, encoded_list: str, now: datetime, valid_until: datetime
) -> dict:
    """Return a BitstringStatusListCredential for revocation."""
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": iso(now),
        "validUntil": iso(valid_until),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
        },
    }


# Encoding ---------------------------------------------------------------------------------------


def b64url_bytes(part: str) -> bytes:
    """Decode base64url without padding, or raise ValueError."""
    if not part or not all(c.isascii() and (c.isalnum() or c in "-_") for c in part):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except binascii.Error as error:
        raise ValueError(str(error)) from None

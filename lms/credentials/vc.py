"""Open Badges 3.0 as VC-JWT: signing, status lists, PNG baking and verification (pure; no Flask).

Verification never fetches anything: the issuer's keys and status lists come from a resolver the
caller passes, and only the JSON-LD contexts bundled in `contexts/` are accepted.
"""

import base64
import binascii
import gzip
import io
import json
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import OKPKey
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

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
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
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
        compressed = _b64url(encoded[1:])
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


# Baking -----------------------------------------------------------------------------------------


def badge_image(size: int = 256) -> Image.Image:
    """Draw the badge: a plain rosette (no text, so no font or script is needed)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = size // 16
    draw.ellipse((margin, margin, size - margin, size - margin), fill=(23, 92, 83, 255))
    inner = size // 5
    draw.ellipse((inner, inner, size - inner, size - inner), outline=(246, 241, 228, 255), width=size // 24)
    tick = [(size * 0.35, size * 0.52), (size * 0.46, size * 0.63), (size * 0.66, size * 0.40)]
    draw.line(tick, fill=(246, 241, 228, 255), width=size // 16, joint="curve")
    return image


def bake_png(token: str, image: Image.Image | None = None) -> bytes:
    """Return a PNG holding the credential in one iTXt chunk with keyword `openbadgecredential`."""
    info = PngInfo()
    info.add_itxt(PNG_KEYWORD.decode(), token, lang="", tkey="", zip=False)
    out = io.BytesIO()
    (image or badge_image()).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def extract_from_png(data: bytes, max_text: int = MAX_TOKEN_CHARS) -> str:
    """Return the text of the first `openbadgecredential` iTXt chunk, or raise MalformedCredential.

    The chunks are walked by hand: no image is decoded and a compressed text is inflated only up
    to the size limit.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise MalformedCredential("This is not a PNG image.")
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 8 + length
        if end + 4 > len(data):
            raise MalformedCredential("The PNG image is cut short.")
        body = data[position + 8 : end]
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise MalformedCredential("The PNG image is damaged (a chunk's checksum is wrong).")
        if kind == b"iTXt" and body.split(b"\0", 1)[0] == PNG_KEYWORD:
            return _itxt_text(body, max_text)
        if kind == b"IEND":
            break
        position = end + 4
    raise MalformedCredential("This PNG image holds no Open Badges credential.")


def _itxt_text(body: bytes, max_text: int) -> str:
    try:
        _keyword, rest = body.split(b"\0", 1)
        compressed, _method = rest[0], rest[1]
        _lang, rest = rest[2:].split(b"\0", 1)
        _translated, text = rest.split(b"\0", 1)
        if compressed:
            inflater = zlib.decompressobj()
            text = inflater.decompress(text, max_text + 1)
        if len(text) > max_text:
            raise MalformedCredential("The credential in the image is too long.")
        return text.decode("utf-8")
    except (IndexError, ValueError, zlib.error):
        raise MalformedCredential("The credential chunk of the PNG image is malformed.") from None


# Reading input ----------------------------------------------------------------------------------


def read_input(data: bytes) -> str | dict:
    """Return what a pasted or uploaded credential holds: a compact JWS (str) or a JSON credential (dict).

    Accepted: a .jwt file, a JSON credential with an embedded proof, or a baked PNG of either.
    """
    if data.startswith(PNG_SIGNATURE):
        text = extract_from_png(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise MalformedCredential("This is neither a credential nor a PNG image.") from None
    text = text.strip()
    if len(text) > MAX_TOKEN_CHARS:
        raise MalformedCredential("The credential is too long.")
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            raise MalformedCredential("This is not valid JSON.") from None
        if not isinstance(document, dict):
            raise MalformedCredential("This JSON is not a credential.")
        return document
    if text.count(".") != 2:
        raise MalformedCredential(
            "This is not a signed credential (a VC-JWT has three parts separated by dots)."
        )
    return text


def b64url_bytes(part: str) -> bytes:
    """Decode base64url without padding, or raise ValueError."""
    return _b64url(part)


def _b64url(part: str) -> bytes:
    if not part or not all(c.isascii() and (c.isalnum() or c in "-_") for c in part):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except binascii.Error as error:
        raise ValueError(str(error)) from None


def _json_part(part: str, what: str) -> dict:
    try:
        value = json.loads(_b64url(part).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise MalformedCredential(f"The credential's {what} is not valid base64url JSON.") from None
    if not isinstance(value, dict):
        raise MalformedCredential(f"The credential's {what} is not a JSON object.")
    return value


def decode_unverified(token: str) -> tuple[dict, dict]:
    """Return (header, payload) of a compact JWS without checking anything."""
    header_part, payload_part, _signature = token.split(".")
    return _json_part(header_part, "header"), _json_part(payload_part, "payload")


# Verification -----------------------------------------------------------------------------------


class Resolver(Protocol):
    """What a verifier knows about issuers, from bundled or locally published data only."""

    def keys_for(self, did: str) -> dict[str, dict] | None:
        """Return the public JWKs of an issuer by verification method id, or None if unknown."""

    def status_list(self, url: str) -> str | None:
        """Return the compact JWS of a status list credential, or None if unknown."""


@dataclass
class Outcome:
    """A verification result: status is valid, revoked, expired, not_yet_valid, tampered,
    unknown_issuer or malformed; `reason` says why in plain words."""

    status: str
    reason: str
    credential: dict | None = None
    header: dict = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        """Tell whether the credential is valid."""
        return self.status == "valid"


def _check_signature(token: str, header: dict, payload: dict, resolver: Resolver) -> Outcome | None:
    issuer = payload.get("iss")
    if not isinstance(issuer, str):
        return Outcome("malformed", "The credential names no issuer (iss).")
    keys = resolver.keys_for(issuer)
    if keys is None:
        return Outcome("unknown_issuer", f"The issuer {issuer[:200]} is not one this verifier knows.")
    kid = header.get("kid")
    jwk = keys.get(kid) if isinstance(kid, str) else None
    if jwk is None:
        return Outcome("unknown_issuer", "The credential was signed with a key its issuer does not publish.")
    if header.get("alg") not in ACCEPTED_ALGS:
        return Outcome("tampered", "The credential's signature algorithm is not EdDSA.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            jws.deserialize_compact(token, OKPKey.import_key(jwk), algorithms=ACCEPTED_ALGS)
    except (JoseError, ValueError):
        return Outcome(
            "tampered", "The signature does not match the credential: it was changed after signing."
        )
    return None


def verify_status_list(token: str, issuer: str, resolver: Resolver, now: datetime) -> bytes:
    """Check a status list credential's signature, issuer and dates; return its bitstring."""
    header, payload = decode_unverified(token)
    failure = _check_signature(token, header, payload, resolver)
    if failure is not None or payload.get("iss") != issuer or payload.get("issuer") != issuer:
        raise MalformedCredential("The status list is not signed by the credential's issuer.")
    if "BitstringStatusListCredential" not in (payload.get("type") or []):
        raise MalformedCredential("The status list is not a BitstringStatusListCredential.")
    if "validUntil" in payload and parse_iso(payload["validUntil"]) < now:
        raise MalformedCredential("The status list is out of date.")
    subject = payload.get("credentialSubject") or {}
    if not isinstance(subject, dict) or subject.get("statusPurpose") != "revocation":
        raise MalformedCredential("The status list is not a revocation list.")
    return decode_bits(subject.get("encodedList"))


def _check_claims(payload: dict) -> str | None:
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = payload.get("credentialSubject")
    if not isinstance(subject, dict):
        return "The credential has no subject."
    expected = {"iss": issuer_id, "jti": payload.get("id"), "sub": subject.get("id")}
    for claim, value in expected.items():
        if payload.get(claim) != value:
            return f"The JWT claim {claim} does not match the credential."
    if payload.get("nbf") != int(parse_iso(payload.get("validFrom")).timestamp()):
        return "The JWT claim nbf does not match validFrom."
    if ("exp" in payload) != ("validUntil" in payload) or (
        "exp" in payload and payload["exp"] != int(parse_iso(payload["validUntil"]).timestamp())
    ):
        return "The JWT claim exp does not match validUntil."
    return None


def _check_shape(payload: dict) -> str | None:
    contexts = payload.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_CONTEXT:
        return "The credential's first context is not the W3C credentials v2 context."
    unknown = [c for c in contexts if c not in BUNDLED_CONTEXTS]
    if unknown:
        return f"The credential uses a context this verifier does not bundle: {str(unknown[0])[:200]}"
    types = payload.get("type")
    if not isinstance(types, list) or not {"OpenBadgeCredential", "AchievementCredential"} & set(types):
        return "The credential is not an OpenBadgeCredential."
    return None


def verify(token: str, resolver: Resolver, now: datetime | None = None) -> Outcome:
    """Verify a VC-JWT: key, signature, claims, then contexts, status list and dates."""
    now = now or datetime.now(UTC)
    try:
        header, payload = decode_unverified(token)
        failure = _check_signature(token, header, payload, resolver)
        if failure is not None:
            failure.credential, failure.header = payload, header
            return failure
        problem = _check_claims(payload)
    except MalformedCredential as error:
        return Outcome("malformed", str(error))
    if problem:
        return Outcome("tampered", problem, payload, header)
    outcome = check_content(payload, resolver, now)
    outcome.header = header
    return outcome


def check_content(payload: dict, resolver: Resolver, now: datetime) -> Outcome:
    """Check a credential whose signature holds: contexts and type, status list, dates."""
    try:
        problem = _check_shape(payload)
        if problem:
            outcome = Outcome("malformed", problem)
        else:
            outcome = _check_status(payload, resolver, now) or _check_dates(payload, now)
    except MalformedCredential as error:
        outcome = Outcome("malformed", str(error))
    outcome.credential = payload
    return outcome


def issuer_id(payload: dict):
    """Return the issuer's id of a credential (issuer is a Profile or a URI)."""
    issuer = payload.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _check_status(payload: dict, resolver: Resolver, now: datetime) -> Outcome | None:
    status = payload.get("credentialStatus")
    if status is None:
        return None
    if not isinstance(status, dict) or status.get("type") != "BitstringStatusListEntry":
        return Outcome("malformed", "The credential's status entry is not a BitstringStatusListEntry.")
    url = status.get("statusListCredential")
    token = resolver.status_list(url) if isinstance(url, str) else None
    if token is None:
        return Outcome("malformed", "The credential's status list is not one this verifier can read.")
    try:
        index = int(status.get("statusListIndex"))
    except (TypeError, ValueError):
        return Outcome("malformed", "The credential's status index is not a number.")
    bits = verify_status_list(token, issuer_id(payload), resolver, now)
    if bit_is_set(bits, index):
        return Outcome("revoked", "The issuer has revoked this credential.")
    return None


def _check_dates(payload: dict, now: datetime) -> Outcome:
    valid_from = parse_iso(payload.get("validFrom"))
    if valid_from > now:
        return Outcome("not_yet_valid", f"The credential is valid only from {iso(valid_from)}.")
    if "validUntil" in payload:
        valid_until = parse_iso(payload["validUntil"])
        if valid_until <= now:
            return Outcome("expired", f"The credential expired on {iso(valid_until)}.")
    return Outcome("valid", "The signature, the issuer's key, the status list and the dates check out.")

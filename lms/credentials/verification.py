"""Verifying a credential: reading what was pasted or uploaded, the VC-JWT's signature and claims,
its contexts, status list and dates (pure; no Flask).

Verification never fetches anything: the issuer's keys and status lists come from a resolver the
caller passes, and only the JSON-LD contexts bundled in `contexts/` are accepted.
"""

import json
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import OKPKey

from lms.credentials.baking import PNG_SIGNATURE, extract_from_png
from lms.credentials.vc import (
    ACCEPTED_ALGS,
    BUNDLED_CONTEXTS,
    MAX_TOKEN_CHARS,
    VC_CONTEXT,
    MalformedCredential,
    b64url_bytes,
    bit_is_set,
    decode_bits,
    iso,
    parse_iso,
)


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


def _json_part(part: str, what: str) -> dict:
    try:
        value = json.loads(b64url_bytes(part).decode("utf-8"))
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

"""Embedded Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (pure; no Flask).

The document and the proof options are canonicalised as RDF (RDFC-1.0, by PyLD) with only the
bundled JSON-LD contexts: a context that is not bundled is refused, never fetched. Properties the
contexts do not define drop out of the canonical form and so are not signed: verifiers (ours
included) must show only defined terms.
"""

import hashlib
import json
from datetime import UTC, datetime
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from lms.credentials import vc, verification
from lms.credentials.keys import _BASE58, base58btc

CRYPTOSUITE = "eddsa-rdfc-2022"
_ALPHABET = _BASE58


def unbase58btc(text: str) -> bytes:
    """Decode Bitcoin base58, or raise ValueError."""
    number = 0
    for char in text:
        index = _ALPHABET.find(char)
        if index < 0:
            raise ValueError("not base58btc")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


@cache
def _context(url: str) -> dict:
    return json.loads((vc.CONTEXTS_DIR / vc.BUNDLED_CONTEXTS[url]).read_text(encoding="utf-8"))


def _load_document(url, options=None):
    if url not in vc.BUNDLED_CONTEXTS:
        raise jsonld.JsonLdError(
            f"context not bundled: {url}", "jsonld.LoadDocumentError", code="loading document failed"
        )
    return {"contextUrl": None, "documentUrl": url, "document": _context(url)}


def canonize(document: dict) -> str:
    """Return the RDFC-1.0 canonical N-Quads of a JSON-LD document, or raise MalformedCredential."""
    try:
        return jsonld.normalize(
            document,
            {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": _load_document},
        )
    except (
        jsonld.JsonLdError,
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,
    ) as error:
        raise vc.MalformedCredential(f"The credential is not valid JSON-LD: {str(error)[:200]}") from None


def _hash_data(document: dict, proof_options: dict) -> bytes:
    config = {**proof_options, "@context": document["@context"]}
    return (
        hashlib.sha256(canonize(config).encode()).digest()
        + hashlib.sha256(canonize(document).encode()).digest()
    )


def add_proof(document: dict, key: Ed25519PrivateKey, verification_method: str, created: datetime) -> dict:
    """Return the document with an eddsa-rdfc-2022 DataIntegrityProof for assertionMethod."""
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": vc.iso(created),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(document, options))
    return {**document, "proof": {**options, "proofValue": "z" + base58btc(signature)}}


def as_proof_set(secured: dict) -> dict:
    """Return a secured document with its proof as a one-element list, as the OB 3.0 schema wants."""
    return {**secured, "proof": [secured["proof"]]}


def check_proof(secured: dict, public_key_for) -> str | None:
    """Check a document's proof; return None if it holds, else a reason.

    `public_key_for(verification_method)` returns the Ed25519 key of a method, or None if the
    issuer does not publish it (then the reason starts with "unknown key").
    """
    proof = secured.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]  # a proof set of one
    if not isinstance(proof, dict):
        return "The credential has no embedded proof (or more than one)."
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return f"The proof is not an {CRYPTOSUITE} DataIntegrityProof."
    if proof.get("proofPurpose") != "assertionMethod":
        return "The proof is not for assertionMethod."
    method = proof.get("verificationMethod")
    public = public_key_for(method) if isinstance(method, str) else None
    if public is None:
        return "unknown key: the proof names a key its issuer does not publish."
    try:
        signature = unbase58btc(str(proof.get("proofValue", ""))[1:])
    except ValueError:
        return "The proof value is not base58btc."
    if not str(proof.get("proofValue", "")).startswith("z") or len(signature) != 64:
        return "The proof value is not an Ed25519 signature."
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    document = {k: v for k, v in secured.items() if k != "proof"}
    try:
        public.verify(signature, _hash_data(document, options))
    except InvalidSignature:
        return "The signature does not match the credential: it was changed after signing."
    return None


def _public_from_jwk(jwk: dict | None) -> Ed25519PublicKey | None:
    if not jwk or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(vc.b64url_bytes(jwk["x"]))
    except (KeyError, ValueError):
        return None


def verify_document(
    document: dict, resolver: verification.Resolver, now: datetime | None = None
) -> verification.Outcome:
    """Verify a JSON credential with an embedded eddsa-rdfc-2022 proof, then its content."""
    now = now or datetime.now(UTC)
    issuer = verification.issuer_id(document)
    if not isinstance(issuer, str):
        return verification.Outcome("malformed", "The credential names no issuer.")
    methods = resolver.keys_for(issuer)
    if methods is None:
        return verification.Outcome(
            "unknown_issuer", f"The issuer {issuer[:200]} is not one this verifier knows.", document
        )
    try:
        reason = check_proof(document, lambda method: _public_from_jwk(methods.get(method)))
    except vc.MalformedCredential as error:
        return verification.Outcome("malformed", str(error))
    if reason is not None:
        if reason.startswith("unknown key"):
            return verification.Outcome(
                "unknown_issuer",
                "The credential was signed with a key its issuer does not publish.",
                document,
            )
        status = "tampered" if reason.startswith("The signature") else "malformed"
        return verification.Outcome(status, reason, document)
    return verification.check_content(document, resolver, now)

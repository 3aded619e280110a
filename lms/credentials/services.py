"""Credential services: the issuer's identity and keys, issuing, status lists, verification."""

import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from lms.certificates import services as certificates
from lms.core.db import utcnow
from lms.core.errors import DomainError
from lms.credentials import baking, integrity, keys, vc, verification
from lms.credentials.models import Credential
from lms.extensions import db

STATUS_LIST_LIFETIME = timedelta(days=1)
# The files a credential downloads as.
FORMATS = {"json", "jwt", "png"}


class CredentialError(DomainError):
    """A credential cannot be issued; the message is for the user."""


class KeysUnavailable(CredentialError):
    """The issuer has no usable signing key (no key file, or a broken one): try again later (503)."""

    status = 503
    retry_after = 300


# The issuer ------------------------------------------------------------------------------------


def site_url() -> str:
    """Return the issuer's public URL without a trailing slash (CREDENTIALS_ISSUER_URL, else SITE_URL).

    The issuer's did:web and the status lists' URLs derive from it, so every instance of the site
    (an onion address included) must share one.
    """
    return (current_app.config.get("CREDENTIALS_ISSUER_URL") or current_app.config["SITE_URL"]).rstrip("/")


def key_path() -> Path:
    """Return the key file's path (CREDENTIALS_KEY_FILE, else instance/credentials-key.json)."""
    configured = current_app.config.get("CREDENTIALS_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "credentials-key.json"


def key_ring() -> keys.KeyRing:
    """Return the issuer's keys, or raise KeysUnavailable."""
    try:
        return keys.load(key_path())
    except keys.KeyFileError as error:
        current_app.logger.error("%s", error)
        raise KeysUnavailable(_("Open Badges credentials are not available on this site just now.")) from None


def issuer_did() -> str:
    """Return the issuer's did:web, derived from SITE_URL."""
    return vc.did_web(site_url())


def did_document() -> dict:
    """Return the DID document with every public key, old ones included."""
    return vc.did_document(issuer_did(), key_ring())


def status_list_url(number: int) -> str:
    """Return the public URL of a status list."""
    return f"{site_url()}/credentials/status/{number}"


# Issuing ---------------------------------------------------------------------------------------


def _live_credential(certificate, with_name: bool) -> Credential | None:
    return db.session.scalar(
        sa.select(Credential)
        .where(
            Credential.certificate_id == certificate.id,
            Credential.has_name.is_(with_name),
            Credential.revoked_at.is_(None),
        )
        .order_by(Credential.id.desc())
        .limit(1)
    )


def is_owner(user, certificate) -> bool:
    """Tell whether a user owns a certificate: only they may have it as a credential."""
    return certificate.user_id == getattr(user, "id", None)


def issue(user, certificate, *, with_name: bool) -> dict:
    """Return the certificate's credential (unsigned), issuing it if needed (flushes).

    Only the certificate's owner may; the name printed on it is disclosed only `with_name`.
    Sign it with `as_jwt` or `with_proof`.
    """
    if not is_owner(user, certificate):
        raise CredentialError(_("Only the certificate's owner can download it as a credential."), status=403)
    if certificate.status() != "valid":
        raise CredentialError(_("Only a valid certificate can be downloaded as a credential."), status=409)
    key_ring()  # no key, nothing issued
    credential = _live_credential(certificate, with_name)
    if credential is None:
        credential = Credential(
            uuid=str(uuid.uuid4()),
            subject_uuid=str(uuid.uuid4()),
            certificate_id=certificate.id,
            has_name=with_name,
            salt=secrets.token_hex(16),
            issued_at=utcnow(),
        )
        db.session.add(credential)
        db.session.flush()
    return credential_document(credential, certificate, user)


def as_jwt(document: dict) -> str:
    """Sign a credential as a VC-JWT with the current key."""
    return vc.sign(document, issuer_did(), key_ring().signing_key)


def with_proof(document: dict) -> dict:
    """Return a credential with an embedded eddsa-rdfc-2022 proof by the current key."""
    key = key_ring().signing_key
    method = vc.multikey_id(issuer_did(), key)
    return integrity.as_proof_set(
        integrity.add_proof(document, key.key.private_key, method, datetime.now(UTC))
    )


def identity_hash(public_id: str, salt: str) -> str:
    """Return the OB 3.0 IdentityHash of a pseudonymous id: sha256 of id + salt, in hex."""
    return "sha256$" + hashlib.sha256((public_id + salt).encode("utf-8")).hexdigest()


def _hours(minutes: int) -> int | float:
    hours = round((minutes or 0) / 60, 1)
    return int(hours) if hours == int(hours) else hours


def credential_document(credential: Credential, certificate, user) -> dict:
    """Return the unsigned OpenBadgeCredential of a certificate."""
    course = certificate.course
    locale = certificate.locale
    site = site_url()
    list_number, index = vc.status_position(credential.id)
    title = course.title_in(locale)
    with force_locale(locale):
        narrative = _(
            "Awarded to a learner who completed every module of the course “%(course)s” on %(site)s.",
            course=title,
            site=certificates.issuer(locale),
        )
    identifiers = [
        {
            "type": "IdentityObject",
            "hashed": True,
            "identityHash": identity_hash(user.public_id, credential.salt),
            "identityType": "identifier",
            "salt": credential.salt,
        }
    ]
    if credential.has_name:
        identifiers.append(
            {
                "type": "IdentityObject",
                "hashed": False,
                "identityHash": certificate.name_on_certificate,
                "identityType": "name",
            }
        )
    achievement = {
        "id": f"{site}/courses/{course.slug}/#certificate-v{certificate.course_version}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": title,
        "description": course.summary_in(locale) or title,
        "criteria": {"narrative": narrative},
        "creditsAvailable": _hours(course.estimated_minutes),
        "inLanguage": locale,
        "version": str(certificate.course_version),
    }
    document = {
        "@context": [vc.VC_CONTEXT, vc.OB_CONTEXT],
        "id": f"urn:uuid:{credential.uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {
            "id": issuer_did(),
            "type": ["Profile"],
            "name": certificates.issuer(locale),
            "url": site + "/",
        },
        "validFrom": vc.iso(credential.issued_at),
        "awardedDate": vc.iso(certificate.issued_at),
        "credentialSubject": {
            "id": f"urn:uuid:{credential.subject_uuid}",
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "achievement": achievement,
        },
        "credentialStatus": {
            "id": f"{status_list_url(list_number)}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": status_list_url(list_number),
        },
        "credentialSchema": [{"id": vc.OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if certificate.expires_at is not None:
        document["validUntil"] = vc.iso(certificate.expires_at)
    return document


def baked_badge(token: str) -> bytes:
    """Return the badge image (PNG) with the credential baked in."""
    return baking.bake_png(token)


def download(user, certificate, kind: str, *, with_name: bool) -> tuple[bytes, str, str]:
    """Return the certificate's credential as a file: (data, MIME type, extension); flushes.

    `kind` is one of FORMATS: JSON with a Data Integrity proof, a VC-JWT, or a PNG with the VC-JWT baked in.
    """
    document = issue(user, certificate, with_name=with_name)
    if kind == "json":
        return (
            json.dumps(with_proof(document), ensure_ascii=False, indent=2).encode("utf-8"),
            "application/vc+ld+json",
            "json",
        )
    token = as_jwt(document)
    return (
        (baked_badge(token), "image/png", "png")
        if kind == "png"
        else (token.encode("ascii"), "text/plain", "jwt")
    )


def export_for(user) -> list[dict]:
    """Return the learner's credentials (what is stored about them) for their data download."""
    owned = {c.id: c for c in certificates.my_certificates(user)}
    if not owned:
        return []
    rows = db.session.scalars(
        sa.select(Credential).where(Credential.certificate_id.in_(owned)).order_by(Credential.id)
    )
    return [
        {
            "id": f"urn:uuid:{row.uuid}",
            "course": owned[row.certificate_id].course.slug,
            "includes_name": row.has_name,
            "salt": row.salt,
            "issued_at": row.issued_at.isoformat(),
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        }
        for row in rows
    ]


# Revocation ------------------------------------------------------------------------------------


def revoke_all(certificate, reason: str) -> int:
    """Revoke every live credential of a certificate (flushes); return how many."""
    result = db.session.execute(
        sa.update(Credential)
        .where(Credential.certificate_id == certificate.id, Credential.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    return result.rowcount


def _on_revoked(certificate, **_extra) -> None:
    revoke_all(certificate, "revoked")


def _on_reissued(certificate, **_extra) -> None:
    # The reissued certificate may carry another name or language: new credentials replace these.
    revoke_all(certificate, "reissued")


def _certificate_page(certificate, viewer=None, **_extra):
    if viewer is None or not is_owner(viewer, certificate) or certificate.status() != "valid":
        return None
    return Markup(render_template("credentials/_download.html", certificate=certificate))  # noqa: S704


def connect_signals() -> None:
    """Subscribe to the certificates' signals (idempotent: blinker keeps one of each receiver)."""
    certificates.certificate_revoked.connect(_on_revoked, weak=False)
    certificates.certificate_reissued.connect(_on_reissued, weak=False)
    certificates.certificate_page.connect(_certificate_page, weak=False)


# Status lists ----------------------------------------------------------------------------------


def status_list_count() -> int:
    """Return how many status lists exist (at least one)."""
    highest = db.session.scalar(sa.select(sa.func.max(Credential.id))) or 0
    return vc.status_position(highest)[0]


def revoked_indexes(number: int) -> list[int]:
    """Return the set bits of a status list: revoked credentials and those of erased certificates."""
    first = (number - 1) * vc.STATUS_LIST_SIZE
    ids = db.session.scalars(
        sa.select(Credential.id).where(
            Credential.id >= first,
            Credential.id < first + vc.STATUS_LIST_SIZE,
            sa.or_(Credential.revoked_at.is_not(None), Credential.certificate_id.is_(None)),
        )
    )
    return [i - first for i in ids]


def status_list_token(number: int, now: datetime | None = None) -> str | None:
    """Return status list `number` signed now, or None if there is no such list."""
    if number < 1 or number > status_list_count():
        return None
    now = now or datetime.now(UTC)
    url = status_list_url(number)
    document = vc.status_list_credential(
        url, issuer_did(), vc.encode_bits(revoked_indexes(number)), now, now + STATUS_LIST_LIFETIME
    )
    return vc.sign(document, issuer_did(), key_ring().signing_key)


# Verification ----------------------------------------------------------------------------------


class SiteResolver:
    """Resolves only this site's issuer: its published keys and its status lists (signed at `now`)."""

    def __init__(self, now: datetime | None = None):
        self.now = now

    def keys_for(self, did: str) -> dict[str, dict] | None:
        """Return this issuer's public keys by verification method id, or None for another issuer."""
        if did != issuer_did():
            return None
        return vc.verification_methods(did, key_ring())

    def status_list(self, url: str) -> str | None:
        """Return one of this site's status lists, signed, or None."""
        prefix = status_list_url(0)[:-1]
        number = url[len(prefix) :] if url.startswith(prefix) else ""
        return status_list_token(int(number), self.now) if number.isdigit() and len(number) < 9 else None


def verify_upload(data: bytes, now: datetime | None = None) -> verification.Outcome:
    """Verify a pasted or uploaded credential (VC-JWT, JSON with a proof, or a baked PNG)."""
    try:
        credential = verification.read_input(data)
    except vc.MalformedCredential as error:
        return verification.Outcome("malformed", str(error))
    key_ring()  # without keys nothing can be checked: say so rather than "unknown issuer"
    if isinstance(credential, dict):
        return integrity.verify_document(credential, SiteResolver(now), now)
    return verification.verify(credential, SiteResolver(now), now)

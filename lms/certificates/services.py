"""Certificates' public services: what other domains, the CLI and the views call.

The work is done in the package's modules, each owning one job: `eligibility` (who may ask,
what may be printed), `content` (what a certificate says), `storage` (stored PDFs),
`issuing` (requests, issuing once, bulk), `verification` (verify, revoke, reissue), `scope`
(who manages which certificates), `queries` (reading), `privacy` (export, erase), `archive` (a course's ZIP).
"""

from lms.certificates.archive import course_archive
from lms.certificates.content import certificate_data, issuer, signatory, verify_url
from lms.certificates.eligibility import can_request, check_locale, is_completed, prepare_name
from lms.certificates.errors import (
    CertificateError,
    NameRefused,
    NotEligible,
    NotInScope,
    RenderFailed,
    StorageFailed,
    Unavailable,
)
from lms.certificates.issuing import (
    VERB_EARNED,
    BatchResult,
    add_years,
    completed_without_request,
    issuable_requests,
    issue_batch,
    issue_certificate,
    issue_on_completion,
    request_certificate,
)
from lms.certificates.privacy import erase_for, export_for
from lms.certificates.queries import (
    course_certificates,
    course_certificates_of,
    course_certificates_select,
    current_certificate,
    get_certificate,
    last_name_used,
    my_certificates,
    pending_request,
)
from lms.certificates.scope import (
    LearnerScope,
    can_see,
    has_learner_scope,
    in_scope,
    register_learner_scope,
)
from lms.certificates.signals import certificate_page, certificate_reissued, certificate_revoked
from lms.certificates.storage import (
    discard_file,
    pdf_for_download,
    restore_pdf,
    storage_dir,
    store_pdf,
    stored_pdf,
)
from lms.certificates.verification import Verification, reissue, require_in_scope, revoke, verify

__all__ = [
    "VERB_EARNED",
    "BatchResult",
    "CertificateError",
    "LearnerScope",
    "NameRefused",
    "NotEligible",
    "NotInScope",
    "RenderFailed",
    "StorageFailed",
    "Unavailable",
    "Verification",
    "add_years",
    "can_request",
    "can_see",
    "certificate_data",
    "certificate_page",
    "certificate_reissued",
    "certificate_revoked",
    "check_locale",
    "completed_without_request",
    "course_archive",
    "course_certificates",
    "course_certificates_of",
    "course_certificates_select",
    "current_certificate",
    "discard_file",
    "erase_for",
    "export_for",
    "get_certificate",
    "has_learner_scope",
    "in_scope",
    "is_completed",
    "issuable_requests",
    "issue_batch",
    "issue_certificate",
    "issue_on_completion",
    "issuer",
    "last_name_used",
    "my_certificates",
    "pdf_for_download",
    "pending_request",
    "prepare_name",
    "register_learner_scope",
    "reissue",
    "request_certificate",
    "require_in_scope",
    "restore_pdf",
    "revoke",
    "signatory",
    "storage_dir",
    "store_pdf",
    "stored_pdf",
    "verify",
    "verify_url",
]

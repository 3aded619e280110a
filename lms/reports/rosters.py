"""Cohort rosters: enrol the learners a manager lists in an uploaded CSV, all or nothing."""

import csv
from typing import IO

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts import services as accounts
from lms.accounts.models import Membership, User
from lms.core.security import canonical_key
from lms.core.spreadsheet import CsvUploadError, csv_upload_reader
from lms.extensions import db
from lms.reports.cohorts import CohortView, add_members, get_cohort
from lms.reports.errors import ReportError
from lms.reports.filters import Scope

MAX_UPLOAD_BYTES = 1024 * 1024
MAX_ROWS = 5000
HEADERS = {"username", "email", "e-mail", "user", "login", "username_or_email"}


class UploadRejected(ReportError):
    """An upload with bad rows: nothing was applied. `problems` holds (line, message) pairs."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(_("Nothing was changed: correct these lines and upload the file again."))
        self.problems = problems


def read_roster(data: bytes) -> list[tuple[int, str]]:
    """Return (line number, username or e-mail) from an uploaded CSV; first column, header optional.

    Raise UploadRejected when the file itself cannot be read.
    """
    try:
        reader = csv_upload_reader(data, MAX_UPLOAD_BYTES)
    except CsvUploadError as error:
        raise UploadRejected([(error.line, error.message)]) from None
    entries: list[tuple[int, str]] = []
    first = True
    try:
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if first and cells[0].casefold() in HEADERS:
                first = False
                continue
            first = False
            entries.append((line, cells[0]))
    except csv.Error:
        raise UploadRejected([(reader.line_num, _("This line is not valid CSV."))]) from None
    if len(entries) > MAX_ROWS:
        raise UploadRejected([(0, _("The file has more than %(max)d rows.", max=MAX_ROWS))])
    return entries


def _resolve(
    entries: list[tuple[int, str]], cohort_view: CohortView, scope: Scope
) -> tuple[list[User], list[tuple[int, str]]]:
    """Find each row's account in a fixed number of queries; return the users and the problems.

    Only accounts in the cohort's organisations (a cohort without any: the manager's) count:
    any other reads as "no account", whatever it is (unknown, disabled, sharing its e-mail).
    """
    emails = {canonical_key(value) for _line, value in entries if "@" in value}
    names = {accounts.username_key(value) for _line, value in entries if "@" not in value}
    by_name = {
        u.username_key: u
        for u in db.session.scalars(
            sa.select(User).where(User.username_key.in_(names), User.is_erased.is_(False))
        )
    }
    by_email: dict[str, list[User]] = {}
    for user in db.session.scalars(
        sa.select(User).where(User.email_key.in_(emails), User.is_erased.is_(False))
    ):
        by_email.setdefault(user.email_key, []).append(user)
    organisation_ids = [o.id for o in cohort_view.organisations]
    if not organisation_ids and not scope.is_programme:
        organisation_ids = sorted(scope.organisation_ids) or [0]  # no organisation: nobody
    found = [u.id for u in by_name.values()] + [u.id for users in by_email.values() for u in users]
    members = set(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.user_id.in_(found), Membership.organisation_id.in_(organisation_ids)
            )
        )
    )
    if organisation_ids:
        by_name = {key: u for key, u in by_name.items() if u.id in members}
        by_email = {key: [u for u in users if u.id in members] for key, users in by_email.items()}
    # One message for "no such account" and "not one of your members": an upload must not
    # tell a manager who else has an account here.
    unknown = _("No account with this username or e-mail among the members of the cohort's organisations.")
    users: dict[int, User] = {}
    problems: list[tuple[int, str]] = []
    for line, value in entries:
        if len(value) > 254:
            problems.append((line, _("This value is too long to be a username or an e-mail.")))
            continue
        if "@" in value:
            candidates = by_email.get(canonical_key(value), [])
            if len(candidates) > 1:
                problems.append((line, _("Several accounts use this e-mail: give the username instead.")))
                continue
            user = candidates[0] if candidates else None
        else:
            user = by_name.get(accounts.username_key(value))
        if user is None:
            problems.append((line, unknown))
        elif user.is_disabled:
            problems.append((line, _("This account is disabled.")))
        else:
            users.setdefault(user.id, user)  # listed twice: enrolled once
    return list(users.values()), problems


def enrol_upload(actor: User | None, scope: Scope, cohort_id: int, data: bytes) -> int:
    """Add the listed learners to a cohort and enrol them in its courses, all or nothing.

    Raise UploadRejected with every bad line (nothing is applied). Return how many learners
    were added to the cohort (already there: not counted).
    """
    view = get_cohort(scope, cohort_id)
    entries = read_roster(data)
    if not entries:
        raise UploadRejected([(0, _("The file lists nobody."))])
    users, problems = _resolve(entries, view, scope)
    if problems:
        raise UploadRejected(problems)
    return add_members(view, users, "upload")


def enrol_file(actor: User | None, scope: Scope, cohort_id: int, upload: IO[bytes]) -> int:
    """Enrol the learners of an uploaded file (read up to the size limit); see `enrol_upload`."""
    return enrol_upload(actor, scope, cohort_id, upload.read(MAX_UPLOAD_BYTES + 1))

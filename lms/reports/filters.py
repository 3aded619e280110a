"""Who and what a report covers: the manager's scope and the filter in the URL (pure, no database)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from lms.core.errors import DomainError

STATUSES = ("enrolled", "in_progress", "completed")
DATE_FIELDS = ("enrolled", "completed")


class FilterError(DomainError, ValueError):
    """A filter value that cannot be read (400); `str()` names the field, for the CLI."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field

    @property
    def message(self) -> str:
        """Say nothing more than the status: the field name is not a sentence for the page."""
        return ""


@dataclass(frozen=True)
class Scope:
    """The learners a manager may see: the whole programme, or the members of some organisations."""

    is_programme: bool
    organisation_ids: frozenset[int] = frozenset()

    def covers(self, organisation_id: int) -> bool:
        """Tell whether the scope includes an organisation."""
        return self.is_programme or organisation_id in self.organisation_ids

    def describe(self) -> str | list[int]:
        """Return the scope as the audit trail records it."""
        return "programme" if self.is_programme else sorted(self.organisation_ids)


PROGRAMME = Scope(is_programme=True)


@dataclass(frozen=True)
class ReportFilter:
    """What a report is about; lives in the URL so a report can be run again next quarter."""

    course: str | None = None
    organisation: int | None = None
    country: str | None = None
    cohort: int | None = None
    status: str | None = None
    dates: str = "enrolled"  # which date since/until apply to: "enrolled" or "completed"
    since: date | None = None
    until: date | None = None  # inclusive

    def as_args(self) -> dict[str, str]:
        """Return the filter as URL query arguments (only what is set)."""
        args = {
            "course": self.course,
            "organisation": None if self.organisation is None else str(self.organisation),
            "country": self.country,
            "cohort": None if self.cohort is None else str(self.cohort),
            "status": self.status,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        if self.since or self.until:
            args["dates"] = self.dates
        return {key: value for key, value in args.items() if value}


def _int(args: Mapping[str, str], name: str) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    # Ids are 32-bit on every engine: a larger number is refused here, not by the database.
    if not value.isascii() or not value.isdigit() or len(value) > 10 or int(value) > 2**31 - 1:
        raise FilterError(name)
    return int(value)


def _date(args: Mapping[str, str], name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(name) from None


def parse_filter(args: Mapping[str, str]) -> ReportFilter:
    """Read a filter from URL arguments; raise FilterError on a value that cannot be right."""
    course = (args.get("course") or "").strip() or None
    if course is not None and (len(course) > 64 or not course.replace("-", "").isalnum()):
        raise FilterError("course")
    country = (args.get("country") or "").strip().upper() or None
    if country is not None and (len(country) != 2 or not country.isascii() or not country.isalpha()):
        raise FilterError("country")
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in STATUSES:
        raise FilterError("status")
    dates = (args.get("dates") or "enrolled").strip()
    if dates not in DATE_FIELDS:
        raise FilterError("dates")
    since, until = _date(args, "since"), _date(args, "until")
    if since and until and until < since:
        raise FilterError("until")
    return ReportFilter(
        course=course,
        organisation=_int(args, "organisation"),
        country=country,
        cohort=_int(args, "cohort"),
        status=status,
        dates=dates,
        since=since,
        until=until,
    )


def day_start(day: date) -> datetime:
    """Return midnight UTC at the start of a day."""
    return datetime.combine(day, time.min, tzinfo=UTC)

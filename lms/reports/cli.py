"""`flask reports ...`: completion records and learning records for donors, managers' scope.

The command line is the server's administrator: it sees the whole programme. Every export is
recorded in the audit trail as "cli:<system user>".
"""

import getpass
from datetime import date

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lms.accounts import services as account_services
from lms.accounts.models import Organisation
from lms.courses import services as course_services
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.reports import filters, services

reports_cli = AppGroup("reports", help="Export programme reports.")


def _actor_name() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "cli"


def _organisation_id(value: str | None) -> int | None:
    """Accept an organisation's id or its exact name."""
    if not value:
        return None
    if value.isdigit():
        return int(value)
    ids = db.session.scalars(sa.select(Organisation.id).where(Organisation.name == value)).all()
    if len(ids) != 1:
        raise click.BadParameter(
            "no organisation has that name"
            if not ids
            else "several organisations have that name: give the id",
            param_hint="--org",
        )
    return ids[0]


def _committed(action):
    """Run `action()` in the session's transaction: commit its result, or roll back and explain."""
    try:
        result = action()
    except services.ReportError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    return result


def _write_to(output: str, export) -> int:
    """Write an export to the file `output` (the audit row commits with it); return its row count."""

    def write() -> int:
        with open(output, "wb") as out:
            return export(out)

    return _committed(write)


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint=name) from None


@reports_cli.command("completions")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True, help="File format.")
@click.option("--course", help="Course slug.")
@click.option("--org", help="Organisation id or exact name.")
@click.option("--country", help="Two-letter country code.")
@click.option("--cohort", type=int, help="Cohort id.")
@click.option("--status", type=click.Choice(list(filters.STATUSES)), help="Status code.")
@click.option(
    "--dates",
    type=click.Choice(list(filters.DATE_FIELDS)),
    default="enrolled",
    show_default=True,
    help="Which date --since and --until apply to.",
)
@click.option("--since", help="First day, YYYY-MM-DD (UTC).")
@click.option("--until", help="Last day, YYYY-MM-DD (UTC), included.")
@click.option("--locale", default="en", show_default=True, help="ar gives a right-to-left XLSX sheet.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def completions(fmt, course, org, country, cohort, status, dates, since, until, locale, output):
    """Write the completion records (one row per learner and course) to a CSV or XLSX file."""
    _day(since, "--since"), _day(until, "--until")  # clear messages for malformed dates
    args = {
        "course": course or "",
        "organisation": str(_organisation_id(org) or ""),
        "country": country or "",
        "cohort": "" if cohort is None else str(cohort),
        "status": status or "",
        "dates": dates,
        "since": since or "",
        "until": until or "",
    }
    try:
        f = filters.parse_filter(args)
    except filters.FilterError as error:
        raise click.BadParameter(f"invalid value for {error}") from None
    count = _write_to(
        output,
        lambda out: services.export_completions(
            None, filters.PROGRAMME, f, fmt, out, locale=locale, actor_name=_actor_name()
        ),
    )
    click.echo(f"Wrote {count} rows to {output}.")


@reports_cli.command("attendance")
@click.option("--course", help="Course slug.")
@click.option("--cohort", type=int, help="Cohort id.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def attendance(course, cohort, output):
    """Write the live-session attendance (one row per cohort member and session) to a CSV file."""
    try:
        f = filters.parse_filter({"course": course or "", "cohort": "" if cohort is None else str(cohort)})
    except filters.FilterError as error:
        raise click.BadParameter(f"invalid value for {error}") from None
    count = _write_to(
        output,
        lambda out: services.export_attendance(None, filters.PROGRAMME, f, out, actor_name=_actor_name()),
    )
    click.echo(f"Wrote {count} rows to {output}.")


@reports_cli.command("statements")
@click.option("--since", required=True, help="First day, YYYY-MM-DD (UTC).")
@click.option("--until", required=True, help="Last day, YYYY-MM-DD (UTC), included.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def statements(since, until, output):
    """Write the stored learning records of a date range as xAPI JSON lines."""
    first, last = _day(since, "--since"), _day(until, "--until")
    count = _write_to(
        output,
        lambda out: services.export_statements(
            None, filters.PROGRAMME, first, last, out, actor_name=_actor_name()
        ),
    )
    click.echo(f"Wrote {count} statements to {output}.")


def _manager_and_organisation(username: str, org: str | None, programme: bool):
    if bool(org) == programme:
        raise click.UsageError("give either --org or --programme")
    user = account_services.find_user(username)
    if user is None:
        raise click.ClickException(f"no user named {username}")
    organisation = None
    if org:
        organisation = account_services.get_organisation(_organisation_id(org))
        if organisation is None:
            raise click.ClickException("no such organisation")
    return user, organisation


@reports_cli.command("grant")
@click.argument("username")
@click.option("--org", help="Organisation id or exact name whose learners the manager sees.")
@click.option("--programme", is_flag=True, help="The manager sees the whole programme.")
def grant(username, org, programme):
    """Let a manager see an organisation's learners, or the whole programme."""
    user, organisation = _manager_and_organisation(username, org, programme)
    _committed(lambda: services.grant_scope(None, user, organisation))
    click.echo(
        f"{user.username} now sees {'the whole programme' if organisation is None else organisation.name}."
    )


@reports_cli.command("revoke")
@click.argument("username")
@click.option("--org", help="Organisation id or exact name.")
@click.option("--programme", is_flag=True, help="Take back the whole programme.")
def revoke(username, org, programme):
    """Take back an organisation, or the whole programme, from a manager."""
    user, organisation = _manager_and_organisation(username, org, programme)
    _committed(lambda: services.revoke_scope(None, user, organisation))
    click.echo(
        f"{user.username} no longer sees {'the whole programme' if organisation is None else organisation.name}."
    )


def _percent(value: float | None) -> str:
    return "  -" if value is None else f"{100 * value:3.0f}"


def _quiz_label(quiz_items) -> str:
    title = quiz_items.title_in(quiz_items.quiz.default_locale)
    return f"Module quiz: {title}" if title is not None else "Knowledge check"


@reports_cli.command("items")
@click.option("--course", "slug", required=True, help="Course slug.")
@click.option("--phase", type=click.Choice(["pre", "post"]), help="Only these knowledge-check attempts.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File (default: print).")
def items(slug, phase, fmt, output):
    """Item analysis of a course's quizzes: facility, discrimination, option shares, flags."""
    course = course_services.get_course(slug)
    if course is None:
        raise click.ClickException(f"no course {slug}")
    analyses = course_services.item_analysis(course, phase=phase)
    labelled = [(_quiz_label(q), q.analysis) for q in analyses]
    if fmt == "csv":
        if output:
            with open(output, "w", encoding="utf-8-sig", newline="") as out:
                count = quiz_services.write_item_analysis_csv(labelled, out)
            click.echo(f"Wrote {count} rows to {output}.")
        else:
            quiz_services.write_item_analysis_csv(labelled, click.get_text_stream("stdout"))
        return
    lines = []
    for label, analysis in labelled:
        locales = analysis.locales
        counts = ", ".join(f"{loc}: {analysis.attempts[loc]}" for loc in locales)
        mean = analysis.mean_score[quiz_services.ALL]
        lines.append(
            f"{label}: {analysis.attempts[quiz_services.ALL]} graded attempts ({counts or 'none'})"
            + (f", mean score {mean:.0f}%" if mean is not None else "")
        )
        if analysis.key_position:
            place, count, total = analysis.key_position
            lines.append(
                f"  answer position: the right answer is choice {place} in {count} of {total} multiple-choice items"
            )
        head = "facility % (all " + " ".join(locales) + ")"
        lines.append(
            f"  {'#':>2} {'question':<12} {'type':<13} {head:<28} discrimination % (all {' '.join(locales)})  flags"
        )
        per_locale = {loc: analysis.items[loc] for loc in locales}
        for index, item in enumerate(analysis.items[quiz_services.ALL]):
            facility = " ".join(
                [_percent(item.facility), *(_percent(per_locale[loc][index].facility) for loc in locales)]
            )
            discrimination = " ".join(
                [
                    _percent(item.discrimination),
                    *(_percent(per_locale[loc][index].discrimination) for loc in locales),
                ]
            )
            lines.append(
                f"  {item.number:>2} {item.qid[:12]:<12} {item.qtype:<13} {facility:<28} {discrimination:<30}"
                f" {', '.join(item.flags)}"
            )
            if item.options:
                shares = "  ".join(
                    f"{o.position}{'*' if o.is_right else ''}:{_percent(o.share).strip()}%"
                    for o in item.options
                )
                lines.append(f"{'':>30}options (* right), share of {item.attempts} attempts: {shares}")
        lines.append("")
    text = "\n".join(lines)
    if output:
        with open(output, "w", encoding="utf-8") as out:
            out.write(text)
        click.echo(f"Wrote {output}.")
    else:
        click.echo(text)

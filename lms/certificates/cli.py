"""`flask certificates ...`: bulk issuing and sample rendering."""

import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from lms.certificates import codes, render, services
from lms.core.db import utcnow
from lms.courses import services as courses
from lms.extensions import db

certificates_cli = AppGroup("certificates", help="Issue and render certificates.")

SAMPLE_NAMES = {"ar": "أمينة حداد", "en": "Amina Haddad"}
BATCH = 24


@certificates_cli.command("render-sample")
@click.option("--locale", required=True, help="Language of the certificate, e.g. ar or en.")
@click.option("--name", default=None, help="Name to print (default: a sample name).")
@click.option("--course", "slug", default=None, help="Print this course's title (default: a sample title).")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def render_sample(locale, name, slug, out):
    """Render a sample certificate to OUT with the real template; nothing is stored."""
    if locale not in current_app.config["LANGUAGES"]:
        raise click.BadParameter(
            f"choose one of {', '.join(current_app.config['LANGUAGES'])}", param_hint="--locale"
        )
    try:
        name = render.check_name(name or SAMPLE_NAMES.get(locale, SAMPLE_NAMES["en"]))
    except render.UnprintableName as error:
        raise click.ClickException(str(error))
    code = codes.new_code()
    with force_locale(locale):
        title = _("Lobbying in international organisations")
        if slug:
            course = courses.get_course(slug)
            if course is None:
                raise click.ClickException(f"no course {slug!r}")
            title = course.title_in(locale)
        issued_on = format_date(utcnow(), format="long")
    data = render.CertificateData(
        locale=locale,
        name=name,
        course_title=title,
        issued_on=issued_on,
        expires_on=None,
        issuer=services.issuer(locale),
        signatory=services.signatory(locale),
        code=codes.format_code(code),
        verify_url=services.verify_url(code),
        is_sample=True,
    )
    pdf = render.render_certificate(data)
    out.write_bytes(pdf)
    click.echo(f"Wrote {out} ({len(pdf):,} bytes). Nothing was stored; the code on it verifies nothing.")


@certificates_cli.command("issue")
@click.option("--course", "slug", required=True, help="The course's slug.")
@click.option(
    "--locale",
    default=None,
    help="Language for requests whose chosen language the course no longer offers "
    "(default: the course's default language).",
)
@click.option("--workers", type=int, default=None, help="Rendering processes (default: one per core).")
def issue(slug, locale, workers):
    """Issue the certificates of a course that learners asked for and have earned.

    A certificate is issued to every learner who completed the course and gave the name to
    print (learners can give it before they finish). The name is never taken from the display
    name, so learners who completed the course without asking are counted, not issued: they
    get theirs by asking on the course page. PDFs are rendered in parallel processes and
    stored before each batch is committed.
    """
    course = courses.get_course(slug)
    if course is None:
        raise click.ClickException(f"no course {slug!r}")
    if not course.has_certificate:
        raise click.ClickException(f"{slug} does not give certificates (certificate = false)")
    if locale is not None and locale not in course.locales:
        raise click.BadParameter(f"{slug} is taught in {', '.join(course.locales)}", param_hint="--locale")
    ids = services.issuable_requests(course)
    waiting = services.completed_without_request(course)
    issued, skipped = 0, []
    if ids:
        workers = max(1, workers or os.cpu_count() or 1)
        with Renderer(workers) as render_many, click.progressbar(length=len(ids), label="Issuing") as bar:
            for start in range(0, len(ids), BATCH):
                batch = ids[start : start + BATCH]
                try:
                    result = services.issue_batch(
                        course, batch, fallback_locale=locale, render_many=render_many
                    )
                except services.StorageFailed as error:
                    db.session.rollback()
                    raise click.ClickException(f"{error}; {issued} issued before this, nothing after")
                db.session.commit()
                issued += result.issued
                skipped += result.skipped
                bar.update(len(batch))
    click.echo(f"Issued {issued} certificate(s) for {slug}.")
    for certificate_id, reason in skipped:
        click.echo(f"  skipped request {certificate_id}: {reason}")
    if waiting:
        click.echo(f"{waiting} learner(s) completed the course without asking for a certificate yet.")


class Renderer:
    """Render HTML to PDF in a pool of processes (or in this one for a single worker)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = None

    def __enter__(self):
        if self.workers > 1:
            # spawn: a forked child would share the parent's database connections.
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self.render_many

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def render_many(self, htmls: Iterable[str]) -> Iterable:
        """Return each document's PDF bytes, or the exception its rendering raised, in order.

        Each document goes to the pool as soon as `htmls` yields it, so the pool renders while
        the next one is prepared; every document is handed over before this returns, and the
        results come as an iterator, each as soon as it is ready (stored while the rest render).
        """
        if self.pool is None:
            return [_attempt(html) for html in htmls]
        futures = [self.pool.submit(render.html_to_pdf, html) for html in htmls]
        return (_outcome(future) for future in futures)


def _outcome(future):
    try:
        return future.result()
    except Exception as error:  # reported per request by issue_batch
        return error


def _attempt(html: str):
    try:
        return render.html_to_pdf(html)
    except Exception as error:  # reported per request by issue_batch
        return error

"""A small demo programme for the development configuration (`make run`), built through the services.

`flask demo programme` adds two organisations (their names start with "Demo:"), a cohort, a few
dozen learners (`demo-l01`...) with pre-tests, lessons read, module quizzes, post-tests and
certificates, so that the demo manager's dashboard, the trainer's learners page and the reports
have something to show. It refuses to run outside the development configuration, and running it
twice adds nothing.
"""

import random
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from lms.accounts import services as accounts
from lms.authoring import services as authoring
from lms.certificates import services as certificates
from lms.core.db import utcnow
from lms.courses import services as courses
from lms.extensions import db
from lms.quizzes import services as quizzes
from lms.quizzes.services import form_for
from lms.reports import cohorts
from lms.reports import services as reports

demo_cli = AppGroup("demo", help="Demo data for the development configuration.")

ORGANISATIONS = (("Demo: Beirut Rights Network", "LB"), ("Demo: Tunis Civic Forum", "TN"))
COURSES = ("civil-society", "rights-mechanisms")
PASSWORD = "demo-learner-pass-2026"  # noqa: S105 - printed demo data, development only
NAMES = (
    "Amal Haddad", "Youssef Ben Salah", "Rana Khoury", "Karim Mansour", "Salma Trabelsi", "Omar Nasser",
    "Leila Aoun", "Hichem Gharbi", "Nour Saleh", "Fatma Jaziri", "Tarek Fares", "Maya Azar",
    "Sami Bouazizi", "Hala Chidiac", "Walid Mejri", "Dina Sfeir", "Anis Kefi", "Rima Habib",
    "Mehdi Ayari", "Joumana Frem", "Ines Mabrouk", "Ziad Rizk", "Asma Hamdi", "Georges Tannous",
    "Sonia Belhaj", "Bilal Itani", "Nadia Ferchichi", "Fadi Nehme", "Yasmine Dridi", "Rami Saab",
    "Hiba Zouari", "Elie Karam", "Mariem Chebbi", "Jad Younes", "Olfa Baccouche", "Camille Haddad",
)  # fmt: skip
LOCALES = ("ar", "ar", "en", "fr")


@demo_cli.command("programme")
@click.option("--learners", default=30, show_default=True, type=click.IntRange(1, len(NAMES)))
def programme(learners: int) -> None:
    """Add a small demo programme (development configuration only)."""
    if not current_app.config.get("DEMO_ACCOUNTS"):
        raise click.ClickException("Demo data exists only in the development configuration (make run).")
    admin, manager, trainer = (accounts.find_user(n) for n in ("demo-admin", "demo-manager", "demo-trainer"))
    if None in (admin, manager, trainer):
        raise click.ClickException("Create the demo accounts first: flask users demo")
    if any(o.name == ORGANISATIONS[0][0] for o in accounts.list_organisations()):
        click.echo("The demo programme is already there.")
        return
    shipped = [c for c in (courses.get_course(slug) for slug in COURSES) if c is not None]
    if not shipped:
        raise click.ClickException("Load the courses first: flask courses load-all")
    rng = random.Random(2026)
    organisations = [accounts.create_organisation(admin, name, country) for name, country in ORGANISATIONS]
    for organisation in organisations:
        reports.grant_scope(admin, manager, organisation)
    for course in shipped:
        workspace = authoring.workspace(admin, course.slug)
        if workspace is not None:
            authoring.add_owner(admin, workspace, trainer.username)
    today = utcnow().date()
    cohort = cohorts.create_cohort(
        admin,
        reports.scope_for(admin),
        name="Demo cohort: autumn 2026",
        course_ids=[c.id for c in shipped],
        organisation_ids=[organisations[0].id],
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=30),
    )
    completed = 0
    for number in range(1, learners + 1):
        user = _learner(number, rng)
        organisation = organisations[number % 2]
        accounts.join_organisation(user, organisation)
        if number % 3:
            reports.save_demographics(
                user, rng.choice(("female", "male")), rng.choice(("18_24", "25_34", "35_44")), True
            )
        if organisation is organisations[0]:
            cohorts.join_with_code(user, cohort.join_code, organisation.id)
        for course in shipped if number % 4 else shipped[:1]:
            completed += _study(user, course, rng)
        db.session.flush()
    db.session.commit()
    click.echo(
        f"Demo programme: {len(organisations)} organisations, 1 cohort, {learners} learners "
        f"(demo-l01 to demo-l{learners:02d}, password {PASSWORD}), {completed} courses completed. "
        "demo-manager manages both organisations; demo-trainer owns the courses."
    )


def _learner(number: int, rng: random.Random):
    user = accounts.register(
        f"demo-l{number:02d}", PASSWORD, display_name=NAMES[number - 1], locale=rng.choice(LOCALES)
    )
    user.has_pending_recovery_codes = False
    db.session.flush()
    return user


def _attempt(user, quiz, locale: str, rng: random.Random, share: float, phase: str | None = None) -> None:
    attempt = quizzes.start_attempt(user, quiz, locale, phase=phase, rng=rng)
    quizzes.submit_attempt(user, attempt, form_for(attempt, share=share, rng=rng))


def _study(user, course, rng: random.Random) -> int:
    """Enrol and study part or all of a course; return 1 if it completed."""
    locale = user.locale if user.locale in course.locales else course.default_locale
    courses.enroll(user, course)
    assessment = quizzes.get_quiz(course.assessment_quiz_id) if course.assessment_quiz_id else None
    if assessment is not None:
        _attempt(user, assessment, locale, rng, share=rng.uniform(0.2, 0.6), phase="pre")
    modules = courses.load_outline(course)
    reach = rng.choice((0.2, 0.5, 0.8, 1.0, 1.0))
    lessons = [lesson for module in modules for lesson in module.lessons]
    target = max(1, round(len(lessons) * reach))
    if reach == 1.0 and course.has_certificate:  # asked for before finishing: issued on completion
        certificates.request_certificate(user, course, user.display_name, locale)
    for module in modules:
        for lesson in module.lessons:
            if target <= 0:
                break
            courses.record_lesson_done(user, course, lesson)
            target -= 1
        if target >= 0 and module.quiz is not None and rng.random() < 0.9:
            _attempt(user, module.quiz, locale, rng, share=rng.uniform(0.6, 1.0) if reach == 1.0 else 0.5)
    if reach < 1.0:
        return 0
    done = courses.done_slugs(user, course)
    states = courses.module_states(modules, done, courses.quiz_status(user, modules))
    if courses.update_completion(user, course, states) is None:
        return 0
    if assessment is not None:
        _attempt(user, assessment, locale, rng, share=rng.uniform(0.6, 0.95), phase="post")
    return 1

"""Prepare a database for the production tests: schema, shipped courses, load-test accounts.

Usage: python -m tests.production.seed --database URL --instance DIR --learners N [--finished M]

With --scale N, a programme of N learners is generated first (scripts/generate_scale_data.py);
with --admin NAME, an admin account is added. Learners are PREFIX-NNN; "finished" learners PREFIX-done-NNN have completed the civil-society
course through the real services (every lesson done, every module quiz passed), so the load can
ask for and download their certificates; "readers" PREFIX-reader-NNN (--readers) are enrolled in
every course with every lesson done and every module quiz passed, so no lesson is locked to them. Every account has the password of harness.PASSWORD.
The schema is made with create_all: these tests exercise the servers, not the migrations (which
tests/test_migrations.py checks).
"""

import argparse
import sys
from pathlib import Path

from config import Config
from lms.accounts import services as account_services
from lms.accounts.models import Role
from lms.app import create_app
from lms.courses import services as course_services
from lms.extensions import db
from lms.quizzes import services as quiz_services
from tests.production.harness import PASSWORD, ROOT
from tests.quizzes.answering import form_for

sys.path.insert(0, str(ROOT / "scripts"))
from generate_scale_data import generate  # noqa: E402

FINISHED_COURSE = "civil-society"


def complete_course(user, slug: str) -> None:
    """Complete a course as a learner would: enrol, every lesson, every module quiz passed."""
    course = course_services.get_course(slug)
    course_services.enroll(user, course)
    modules = course_services.load_outline(course)
    for module in modules:
        for lesson in module.lessons:
            course_services.record_lesson_done(user, course, lesson)
        if module.quiz is not None:
            attempt = quiz_services.start_attempt(user, module.quiz, course.default_locale)
            quiz_services.submit_attempt(user, attempt, form_for(attempt))
    done = course_services.done_slugs(user, course)
    states = course_services.module_states(
        modules, done, course_services.quiz_status(user, modules), course_services.task_status(user, modules)
    )
    assert course_services.update_completion(user, course, states) is not None, "the course did not complete"


def unlock_courses(user) -> None:
    """Enrol in every course, every lesson done and every module quiz passed: no module locked."""
    for course in course_services.catalog():
        course_services.enroll(user, course)
        for module in course_services.load_outline(course):
            for lesson in module.lessons:
                course_services.record_lesson_done(user, course, lesson)
            if module.quiz is not None:
                attempt = quiz_services.start_attempt(user, module.quiz, course.default_locale)
                quiz_services.submit_attempt(user, attempt, form_for(attempt))


def main() -> None:
    """Seed the database named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--instance", required=True, type=Path)
    parser.add_argument("--learners", type=int, default=25)
    parser.add_argument("--finished", type=int, default=0)
    parser.add_argument("--prefix", default="load")
    parser.add_argument("--scale", type=int, default=0, help="also a programme of this many learners")
    parser.add_argument("--admin", help="also an admin account of this name")
    parser.add_argument(
        "--readers", type=int, default=0, help="also PREFIX-reader-NNN learners with every module unlocked"
    )
    args = parser.parse_args()
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=args.database, INSTANCE_PATH=str(args.instance))
    if args.scale:
        generate(app, learners=args.scale, organisations=max(1, args.scale // 250), seed=1)
    with app.app_context():
        if not args.scale:
            db.create_all()
            for folder in sorted((ROOT / "courses").iterdir()):
                if (folder / "course.toml").exists():
                    course_services.import_path(folder)
            db.session.commit()
        if args.admin:
            admin = account_services.register(args.admin, PASSWORD, role=Role.ADMIN)
            admin.has_pending_recovery_codes = False
        names = [f"{args.prefix}-{n:03d}" for n in range(1, args.learners + 1)]
        names += [f"{args.prefix}-done-{n:03d}" for n in range(1, args.finished + 1)]
        names += [f"{args.prefix}-reader-{n:03d}" for n in range(1, args.readers + 1)]
        for name in names:
            user = account_services.register(name, PASSWORD)
            user.has_pending_recovery_codes = False
            db.session.flush()
            if "-done-" in name:
                complete_course(user, FINISHED_COURSE)
            elif "-reader-" in name:
                unlock_courses(user)
        db.session.commit()
        db.engine.dispose()


if __name__ == "__main__":
    main()

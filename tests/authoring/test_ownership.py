"""The ownership matrix: a trainer of course X cannot read or change anything of course Y."""

import io
import shutil
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from PIL import Image

from lms.accounts.permissions import TRAINERS
from lms.authoring import services
from lms.authoring.models import CourseOwner, Draft, DraftFile, FileRevision
from lms.courses import services as courses
from lms.courses.models import Course
from lms.quizzes import services as quizzes
from lms.quizzes.models import Response
from tests.authoring.conftest import SAMPLE, own
from tests.authoring.matrix import MATRIX, NOT_COURSE_SCOPED, OWNERSHIP, OwnCase
from tests.courses.course_builder import write_course


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(out, "PNG")
    return out.getvalue()


def answer_essay(learner, course, text):
    """Submit the course's essay quiz as a learner; return the answer's id."""
    quiz_id = [m.quiz_id for m in courses.load_outline(course) if m.quiz_id][-1]
    quiz = quizzes.get_quiz(quiz_id)
    attempt = quizzes.start_attempt(learner, quiz, "en")
    view = quizzes.attempt_view(attempt)
    quizzes.submit_attempt(learner, attempt, {q.name: text for q in view.questions})
    return quizzes_response(attempt)


def quizzes_response(attempt):
    from lms.extensions import db

    return db.session.scalar(sa.select(Response.id).where(Response.attempt_id == attempt.id))


@pytest.fixture
def world(db, people, make_user, tmp_path):
    """Two published courses with drafts, revisions, owners and essays to mark."""
    make_user(role="trainer", username="trainer-third")
    folder = tmp_path / "sample-course"
    shutil.copytree(SAMPLE, folder)
    (folder / "02-treaty-bodies" / "quiz.en.gift").write_text("::e2:: Describe your report. {}\n", "utf-8")
    (folder / "02-treaty-bodies" / "quiz.ar.gift").write_text("::e2:: صف تقريرك. {}\n", "utf-8")
    sample = courses.import_path(folder).course
    own(db, sample.slug, people["owner"])
    own(db, sample.slug, people["admin"])

    other_folder = write_course(tmp_path / "other", "foreign-course", locales=("en",))
    (other_folder / "01-module-1" / "quiz.en.gift").write_text("::e1:: Describe your plan. {}\n", "utf-8")
    (other_folder / "media").mkdir()
    (other_folder / "media" / "foreign.png").write_bytes(png())
    foreign = courses.import_path(other_folder).course
    own(db, foreign.slug, people["other"])

    revisions = {}
    for course, user, path in (
        (sample, people["owner"], "01-council-and-upr/01-human-rights-council.en.md"),
        (foreign, people["other"], "01-module-1/01-m1-lesson-1.en.md"),
    ):
        ws = services.workspace(user, course.slug)
        services.apply(user, ws, {path: b"# Edited\n\nNew text.\n"}, "lesson.edit", path)
        revisions[course.slug] = db.session.scalar(
            sa.select(FileRevision.id).where(FileRevision.draft_id == ws.draft.id, FileRevision.path == path)
        )
    learner = people["learner"]
    return SimpleNamespace(
        ids={
            "own_rev": revisions["sample-course"],
            "foreign_rev": revisions["foreign-course"],
            "co_owner": people["admin"].id,
            "foreign_owner": people["other"].id,
            "own_essay": answer_essay(learner, sample, "About my shadow report."),
            "foreign_essay": answer_essay(learner, foreign, "About my plan."),
        },
        files={
            slug: courses.course_files(courses.get_course(slug))
            for slug in ("sample-course", "foreign-course")
        },
    )


def state(db):
    """Everything a request could change: draft files, owners, marks, published versions."""
    return (
        sorted(
            db.session.execute(
                sa.select(Draft.slug, DraftFile.path, DraftFile.sha256).join(
                    Draft, Draft.id == DraftFile.draft_id
                )
            ).all()
        ),
        sorted(db.session.execute(sa.select(CourseOwner.course_slug, CourseOwner.user_id)).all()),
        sorted(db.session.execute(sa.select(Response.id, Response.fraction)).all()),
        sorted(db.session.execute(sa.select(Course.slug, Course.version)).all()),
    )


def send(client, method, url, data, world):
    if method == "GET":
        return client.get(url)
    form, multipart = {}, False
    for key, value in data.items():
        if value.startswith("zip:"):
            slug = value[4:]
            form[key] = (io.BytesIO(services.export_zip(world.files[slug], slug)), f"{slug}.zip")
            multipart = True
        elif value == "png":
            form[key] = (io.BytesIO(png()), "picture.png")
            multipart = True
        else:
            form[key] = value
    kw = {"content_type": "multipart/form-data"} if multipart else {}
    return client.post_form(url, form, **kw)


CASES = [
    pytest.param(key, case, id=f"{key[0]}-{key[1]}-{case.label}")
    for key, cases in OWNERSHIP.items()
    for case in cases
]


def test_every_editing_route_has_ownership_cases(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("authoring.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(MATRIX), "every route needs a role-gate entry in MATRIX"
    missing = routes - set(OWNERSHIP) - NOT_COURSE_SCOPED
    assert not missing, f"editing routes without ownership cases: {sorted(missing)}"
    # Every route that takes a nested id also has a case with an id from another course.
    for key in routes:
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == key[0])
        nested = set(rule.arguments) - {"slug", "locale", "module_slug", "lesson_slug"}
        if nested and key in OWNERSHIP:
            assert any(c.label != "own" for c in OWNERSHIP[key]), key


def test_every_editor_view_is_guarded_by_the_trainers_role_set(app):
    """One permission model: each view names TRAINERS (no blueprint hook, no list of its own)."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("authoring.")}
    assert endpoints
    for endpoint in endpoints:
        assert getattr(app.view_functions[endpoint], "required_roles", None) == TRAINERS, endpoint
    assert not app.before_request_funcs.get("authoring")


@pytest.mark.parametrize(("key", "case"), CASES)
def test_only_owners_reach_a_course(client, db, sign_in, world, key, case: OwnCase):
    method = key[1]
    url = case.url.format(**world.ids)
    before = state(db)
    sign_in("other")  # a trainer, but not an owner of sample-course
    response = send(client, method, url, case.data, world)
    expected_other = 200 if key == ("authoring.import_zip", "POST") else 404
    assert response.status_code == expected_other, (url, "non-owner")
    assert state(db) == before, "a non-owner changed something"

    sign_in("owner")
    response = send(client, method, url, case.data, world)
    assert response.status_code == case.expect, (url, "owner")
    if case.label != "own":
        assert state(db) == before, "an id from another course changed something"
    if method == "GET":
        sign_in("admin")
        assert send(client, method, url, case.data, world).status_code == case.expect, (url, "admin")

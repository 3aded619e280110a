"""Choice order: shuffled per attempt by default, never for a quiz that says so, always in a knowledge check."""

import random
import uuid
from pathlib import Path

import sqlalchemy as sa

from lms.accounts.models import User
from lms.courses import package
from lms.courses import services as courses
from lms.quizzes import services
from lms.quizzes.models import Attempt, Quiz

BANK = (
    "::a:: First {=r1 ~w1 ~w2 ~w3}\n\n::b:: Second {~%50%x ~%50%y ~z ~v}\n\n::c:: Third {=r3 ~w4 ~w5 ~w6}\n"
)
SHIPPED = Path(__file__).resolve().parents[2] / "courses"


def learner_of(attempt):
    """Return the learner of an attempt."""
    return sa.orm.object_session(attempt).get(User, attempt.user_id)


def quiz(kind="module", **settings):
    """Make a quiz of BANK with these settings."""
    return services.replace_bank(
        None,
        kind=kind,
        activity_id=f"https://tamkeen.test/xapi/{uuid.uuid4()}",
        settings=settings,
        banks={"en": BANK},
        default_locale="en",
    )


def orders(q, make_user, count=12, phase=None):
    """Start `count` attempts by different learners; return each attempt's layout."""
    layouts = []
    for n in range(count):
        attempt = services.start_attempt(make_user(), q, "en", phase=phase, rng=random.Random(n))
        layouts.append(attempt.layout)
    return layouts


def test_choices_are_shuffled_per_attempt_by_default_and_question_order_is_kept(db, make_user):
    q = quiz()
    assert q.has_shuffled_choices and not q.is_shuffled
    layouts = orders(q, make_user)
    assert all([entry["qid"] for entry in layout] == ["a", "b", "c"] for layout in layouts)
    firsts = {layout[0]["choices"][0] for layout in layouts}
    assert len(firsts) > 1  # the right answer is not always shown first
    assert all(sorted(layout[0]["choices"]) == ["a1", "a2", "a3", "a4"] for layout in layouts)


def test_a_quiz_that_sets_shuffle_choices_false_keeps_the_file_order(db, make_user):
    q = quiz(shuffle_choices=False, shuffle=True)
    layouts = orders(q, make_user)
    assert all(entry["choices"] == ["a1", "a2", "a3", "a4"] for layout in layouts for entry in layout)
    assert len({tuple(entry["qid"] for entry in layout) for layout in layouts}) > 1  # questions do move


def test_a_knowledge_check_always_shuffles_its_choices(db, make_user):
    q = quiz(kind="assessment", shuffle_choices=False)
    assert q.has_shuffled_choices
    layouts = orders(q, make_user, phase="pre")
    assert len({layout[0]["choices"][0] for layout in layouts}) > 1
    # Even a row that says otherwise (written before this rule) is shuffled.
    q.has_shuffled_choices = False
    db.session.flush()
    assert len({layout[0]["choices"][0] for layout in orders(q, make_user, phase="pre")}) > 1


def test_an_attempt_keeps_the_order_it_was_frozen_with(db, make_user):
    q = quiz(shuffle_choices=False)
    learner = make_user()
    attempt = services.start_attempt(learner, q, "en", rng=random.Random(1))
    frozen = [list(entry["choices"]) for entry in attempt.layout]
    services.replace_bank(
        q, kind="module", activity_id=q.activity_id, settings={}, banks={"en": BANK}, default_locale="en"
    )
    assert q.has_shuffled_choices
    again = services.start_attempt(learner, q, "en", rng=random.Random(2))
    assert again.id == attempt.id
    assert [entry["choices"] for entry in db.session.get(Attempt, attempt.id).layout] == frozen


def test_module_toml_reads_and_writes_shuffle_choices(tmp_path):
    settings = package.QuizSettings(shuffle=True, shuffle_choices=False)
    text = package.render_module_toml(titles={"en": "M"}, locales=["en"], quiz=settings)
    assert "shuffle_choices = false" in text
    assert "shuffle_choices" not in package.render_module_toml(
        titles={"en": "M"}, locales=["en"], quiz=package.QuizSettings()
    )


def test_the_shipped_knowledge_checks_shuffle_so_always_picking_the_first_choice_does_not_pass(db, make_user):
    courses.import_path(SHIPPED / "civil-society")
    assessment = db.session.scalar(sa.select(Quiz).where(Quiz.kind == "assessment"))
    assert assessment.has_shuffled_choices
    scores = []
    for seed in range(6):
        attempt = services.start_attempt(make_user(), assessment, "en", phase="pre", rng=random.Random(seed))
        form = {f"q{n}": "1" for n, entry in enumerate(attempt.layout, start=1) if "choices" in entry}
        services.submit_attempt(learner_of(attempt), attempt, form)
        scores.append(attempt.score)
    assert max(scores) < 100

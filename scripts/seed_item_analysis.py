#!/usr/bin/env python3
"""Seed a cohort's quiz attempts in one shipped course, then print the course's item analysis.

Usage: scripts/seed_item_analysis.py [--course rights-mechanisms] [--learners 120] [--seed 1]
       [--database URL] [--csv FILE]

Loads the course into a database (a new SQLite file by default), signs up LEARNERS learners
(Arabic and English), and has each take the knowledge check before the course, every module
quiz, and the knowledge check after it, through the real quiz services (frozen, shuffled
layouts; scoring; grading). Answers follow a simple item-response model: each learner has an
ability, each question a difficulty and a discrimination drawn from the seed, and the post-test
ability is higher than the pre-test one. A wrong answer to a choice question goes to the first
wrong option twice as often as to each other one (a plausible distractor). Then it prints what
`flask reports items --course SLUG` prints, and writes the CSV with --csv.
"""

import argparse
import math
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_app(database_url: str, instance: Path):
    """Return the app on this database (cheap password hashing: the accounts are throwaway)."""
    from config import Config
    from lms.app import create_app

    return create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=str(instance),
        SECRET_KEY="seed-item-analysis-not-secret",  # noqa: S106 - a local, throwaway app
        ARGON2_MEMORY_KIB=1024,
        ARGON2_TIME_COST=1,
        RATELIMIT_ENABLED=False,
    )


def answer_form(attempt, answers: dict[str, object]) -> dict[str, object]:
    """Return the form a learner posts to give these answers ({qid: key, [keys], text or {left: right}})."""
    from lms.quizzes import services
    from lms.quizzes.question_types import QUESTION_TYPES, MatchingType

    questions = services.questions_for(attempt)
    form: dict[str, object] = {}
    for index, entry in enumerate(attempt.layout, start=1):
        question = questions.get(entry["qid"])
        wanted = answers.get(entry["qid"])
        if question is None or wanted is None:
            continue
        name = f"q{index}"
        if question.qtype in ("multichoice", "multiresponse"):
            order = QUESTION_TYPES[question.qtype]._order(question, entry)
            if question.qtype == "multichoice":
                form[name] = str(order.index(wanted) + 1)
            else:
                form[name] = [str(order.index(key) + 1) for key in wanted]
        elif question.qtype == "matching":
            stems = MatchingType._stems(question, entry)
            options = [key for key, _text in MatchingType._options(question, entry)]
            for position, pair in enumerate(stems, start=1):
                form[f"{name}-{position}"] = str(options.index(wanted[pair.key]) + 1)
        else:  # truefalse ("true"/"false"), shortanswer, numerical, essay: the text
            form[name] = str(wanted)
    return form


def _wrong(question, rng: random.Random):
    from lms.quizzes import scoring

    best = scoring.best_response(question)
    if question.qtype in ("multichoice", "truefalse"):
        wrong = [a.key for a in question.answers if a.key != best]
        weights = [2] + [1] * (len(wrong) - 1)
        return rng.choices(wrong, weights)[0] if wrong else None
    if question.qtype == "multiresponse":
        keys = [a.key for a in question.answers]
        bad = [a.key for a in question.answers if a.fraction <= 0]
        picked = set(rng.sample(list(best), max(0, len(best) - 1))) | set(bad[:1])
        return sorted(picked, key=keys.index) or None
    if question.qtype == "matching":
        pairs = list(best.items())
        rights = [right for _left, right in pairs]
        rng.shuffle(rights)
        return {left: right for (left, _), right in zip(pairs, rights, strict=True)}
    if question.qtype == "numerical":
        return "-987654"
    return "I do not know"


def simulate_answers(questions, ability: float, rng: random.Random, params) -> dict[str, object]:
    """Answer each question right with the item-response model's probability, else plausibly wrong."""
    from lms.quizzes import scoring

    answers = {}
    for question in questions:
        if question.qtype == "description":
            continue
        difficulty, discrimination = params[question.id]
        right = rng.random() < 1 / (1 + math.exp(-discrimination * (ability - difficulty)))
        answers[question.id] = scoring.best_response(question) if right else _wrong(question, rng)
    return answers


def seed(course, learners: int, rng: random.Random) -> int:
    """Sign up learners and have them take the course's quizzes; return the attempts made."""
    from lms.accounts import services as accounts
    from lms.courses import services as courses
    from lms.extensions import db
    from lms.quizzes import services as quizzes

    pairs = [(m.quiz, None) for m in courses.load_outline(course) if m.quiz is not None]
    if course.assessment_quiz is not None:
        pairs = [(course.assessment_quiz, "pre"), *pairs, (course.assessment_quiz, "post")]
    params = {}
    made = 0
    for number in range(1, learners + 1):
        locale = "ar" if rng.random() < 0.55 else "en"
        user = accounts.register(f"cohort{number:04d}", "cohort password 1234", locale=locale)
        courses.enroll(user, course)
        ability = rng.gauss(0, 1)
        for quiz, phase in pairs:
            attempt = quizzes.start_attempt(user, quiz, locale, phase=phase, rng=rng)
            questions = quizzes.questions_for(attempt)
            for qid in questions:
                key = (quiz.id, qid)
                if key not in params:
                    params[key] = (rng.gauss(-0.3, 0.9), rng.uniform(0.4, 2.2))
            gain = 0.8 if phase == "post" else 0.0
            answers = simulate_answers(
                [questions[e["qid"]] for e in attempt.layout],
                ability + gain,
                rng,
                {qid: params[(quiz.id, qid)] for qid in questions},
            )
            quizzes.submit_attempt(user, attempt, answer_form(attempt, answers))
            made += 1
        db.session.commit()
    return made


def main() -> int:
    """Seed, analyse, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--course", default="rights-mechanisms", help="a folder of courses/")
    parser.add_argument("--learners", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="SQLAlchemy URL of an EMPTY database (default: a new SQLite file)")
    parser.add_argument("--csv", help="also write the CSV export to this file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tamkeen-items-"))
    url = args.database or f"sqlite:///{workdir / 'items.sqlite3'}"
    app = build_app(url, workdir / "instance")
    from lms.courses import services as courses
    from lms.extensions import db

    with app.app_context():
        db.create_all()
        courses.import_path(ROOT / "courses" / args.course)
        db.session.commit()
        course = courses.get_course(args.course)
        made = seed(course, args.learners, random.Random(args.seed))
        print(f"Seeded {args.learners} learners, {made} graded attempts in {args.course}.\n")
    runner = app.test_cli_runner()
    command = ["reports", "items", "--course", args.course]
    result = runner.invoke(args=command)
    print(result.output, end="")
    if args.csv:
        runner.invoke(args=[*command, "--format", "csv", "-o", args.csv])
        print(f"\nWrote {args.csv}.")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())

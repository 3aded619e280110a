"""Fill an attempt's form as a learner would: right answers (via scoring.best_response) or wrong ones.

Used by the demo programme (`flask demo programme`), the tests and the benchmarks.
"""

import random

from lms.quizzes import scoring
from lms.quizzes.layout import questions_for
from lms.quizzes.question_types import QUESTION_TYPES, MatchingType


def form_for(
    attempt, *, right: bool = True, share: float = 1.0, rng: random.Random | None = None
) -> dict[str, object]:
    """Return form fields answering the attempt's questions right (or leaving them blank).

    With `share` below 1, each question is answered right with that probability (drawn from
    `rng`) and wrong otherwise, as a learner who knows part of the material would.
    """
    questions = questions_for(attempt)
    form: dict[str, object] = {}
    for index, entry in enumerate(attempt.layout, start=1):
        question = questions.get(entry["qid"])
        if question is None or question.qtype in ("description",):
            continue
        name = f"q{index}"
        qtype = QUESTION_TYPES[question.qtype]
        if not right or (share < 1.0 and (rng or random).random() >= share):
            if question.qtype in ("shortanswer", "numerical", "essay"):
                form[name] = "zzz-wrong" if question.qtype != "numerical" else "-987654"
            continue
        best = scoring.best_response(question)
        if question.qtype in ("multichoice",):
            order = qtype._order(question, entry)
            form[name] = str(order.index(best) + 1)
        elif question.qtype == "multiresponse":
            order = qtype._order(question, entry)
            form[name] = [str(order.index(key) + 1) for key in best]
        elif question.qtype == "truefalse":
            form[name] = best
        elif question.qtype == "matching":
            stems = MatchingType._stems(question, entry)
            options = [key for key, _text in MatchingType._options(question, entry)]
            for position, pair in enumerate(stems, start=1):
                form[f"{name}-{position}"] = str(options.index(best[pair.key]) + 1)
        else:  # shortanswer, numerical, essay
            form[name] = best if isinstance(best, str) else str(best)
    return form

"""Answer-key parity: a translated question must score exactly as its source. Pure functions.

Translators translate words, not scores. Compared with the default locale's question of the
same id, a translation keeps the question type, the number of choices, the weight of each
choice at the same position (multiple choice, multiple response, true/false), the numbers,
tolerances and weights of a numerical question and the shape of a matching question's pairs.
Short-answer questions may accept other words in another language, with the same weights.
"""

from __future__ import annotations

from dataclasses import replace

from lms.quizzes.questions import Question

# Weights are stored as fractions read from percentages such as 33.33333: compare them as
# Moodle compares grades, to a millionth.
_EPSILON = 1e-6
_POSITIONAL = ("multichoice", "multiresponse", "truefalse", "numerical")


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 5):g}%"


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= _EPSILON * max(1.0, abs(a), abs(b))


def _number(value: float | None) -> str:
    return "*" if value is None else f"{value:g}"


def differences(source: Question, translation: Question, source_name: str) -> list[str]:
    """Return why the translation would not score as the source (empty: it would).

    Each message names the question id and says what ``source_name`` (the default locale's
    file) has instead.
    """
    qid = source.id or translation.id or "?"
    head = f"question {qid}:"
    if source.qtype != translation.qtype:
        return [f"{head} it is {translation.qtype} here but {source.qtype} in {source_name}"]
    qtype = source.qtype
    out: list[str] = []
    if qtype in _POSITIONAL:
        mine, theirs = translation.answers, source.answers
        noun = "numerical answers" if qtype == "numerical" else "choices"
        if len(mine) != len(theirs):
            return [f"{head} {len(mine)} {noun} here but {len(theirs)} in {source_name}"]
        if qtype == "truefalse":
            if not all(_same(a.fraction, b.fraction) for a, b in zip(mine, theirs, strict=True)):
                right = "true" if translation.truefalse_answer else "false"
                wrong = "true" if source.truefalse_answer else "false"
                return [f"{head} the answer is {right} here but {wrong} in {source_name}"]
            return []
        for position, (here, there) in enumerate(zip(mine, theirs, strict=True), start=1):
            if qtype == "numerical" and not (
                _same(here.value, there.value) and _same(here.tolerance, there.tolerance)
            ):
                out.append(
                    f"{head} answer {position} is {_number(here.value)} ± {here.tolerance:g} here "
                    f"but {_number(there.value)} ± {there.tolerance:g} in {source_name}"
                )
            if not _same(here.fraction, there.fraction):
                what = "answer" if qtype == "numerical" else "choice"
                out.append(
                    f"{head} {what} {position} is worth {_percent(here.fraction)} here "
                    f"but {_percent(there.fraction)} in {source_name}"
                )
    elif qtype == "shortanswer":
        mine = sorted({round(a.fraction, 6) for a in translation.answers})
        theirs = sorted({round(a.fraction, 6) for a in source.answers})
        if mine != theirs:
            out.append(
                f"{head} accepted answers are worth {', '.join(map(_percent, mine))} here "
                f"but {', '.join(map(_percent, theirs))} in {source_name}"
            )
    elif qtype == "matching":
        mine_pairs, their_pairs = translation.pairs, source.pairs
        if len(mine_pairs) != len(their_pairs):
            return [f"{head} {len(mine_pairs)} matching pairs here but {len(their_pairs)} in {source_name}"]
        if [(bool(p.left), p.right_key) for p in mine_pairs] != [
            (bool(p.left), p.right_key) for p in their_pairs
        ]:
            out.append(
                f"{head} the pairs do not match the same items as in {source_name} "
                "(keep every pair, every empty item and every repeated match where it is)"
            )
    return out


def adopt_key(source: Question, translation: Question) -> Question:
    """Return the translation with the source's weights, numbers and tolerances, position by position.

    Only where the choices line up (same type, same count); otherwise it is returned as it is
    and ``differences`` says why.
    """
    if source.qtype != translation.qtype or source.qtype not in _POSITIONAL:
        return translation
    if len(source.answers) != len(translation.answers):
        return translation
    answers = tuple(
        replace(
            here,
            fraction=there.fraction,
            **({"value": there.value, "tolerance": there.tolerance} if source.qtype == "numerical" else {}),
        )
        for here, there in zip(translation.answers, source.answers, strict=True)
    )
    return replace(translation, answers=answers)

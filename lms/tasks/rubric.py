"""Pure rubric logic: reading a posted review, word counts and what changed between versions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_COMMENT_LENGTH = 5_000
MAX_ANSWER_LENGTH = 30_000
_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)


class InvalidReview(ValueError):
    """A posted review naming a criterion or level the rubric does not have (answer 400)."""


@dataclass(frozen=True)
class Score:
    """One criterion as a reviewer scored it."""

    criterion_id: str
    level: int  # index into the criterion's levels
    points: int
    comment: str


def max_points(criteria: list[dict[str, Any]]) -> int:
    """Return the most points the rubric can give."""
    return sum(max(level["points"] for level in c["levels"]) for c in criteria)


def read_scores(criteria: list[dict[str, Any]], form: Mapping[str, str]) -> list[Score]:
    """Read one level and a comment per criterion from a posted form, or raise InvalidReview.

    Fields are `level-<criterion id>` (the level's index) and `comment-<criterion id>`; any other
    `level-` field, a missing one or an index out of range is a tampered form.
    """
    known = {c["id"] for c in criteria}
    for key in form:
        if key.startswith("level-") and key.removeprefix("level-") not in known:
            raise InvalidReview(key)
    scores = []
    for criterion in criteria:
        raw = form.get(f"level-{criterion['id']}", "")
        if not raw.isdigit() or int(raw) >= len(criterion["levels"]):
            raise InvalidReview(criterion["id"])
        comment = (form.get(f"comment-{criterion['id']}") or "").strip()
        if len(comment) > MAX_COMMENT_LENGTH:
            raise InvalidReview(criterion["id"])
        index = int(raw)
        scores.append(Score(criterion["id"], index, criterion["levels"][index]["points"], comment))
    return scores


def word_count(answers: Mapping[str, str]) -> int:
    """Count the words of every section of an answer."""
    return sum(len(_WORD.findall(text or "")) for text in answers.values())


def changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return, per section that changed, its lines marked " " (kept), "-" (removed) or "+" (added)."""
    result = []
    for key in dict.fromkeys([*old, *new]):
        before, after = (old.get(key) or "").splitlines(), (new.get(key) or "").splitlines()
        if before == after:
            continue
        lines = []
        for line in difflib.ndiff(before, after):
            if line[:1] in (" ", "-", "+"):
                lines.append((line[:1], line[2:]))
        result.append((key, lines))
    return result


def choose_for_reviewer(
    reviewer: int, reviews: list[tuple[int, int]], already: set[int], wanted: int
) -> list[int]:
    """Choose whose work a reviewer gets next: never their own, never twice, fewest reviews first.

    `reviews` lists the authors who have submitted, oldest first, with how many peers are
    already assigned to each; `already` holds the authors this reviewer has. Returns the new
    authors, so that the reviewer has `wanted` in all when there are enough.
    """
    need = wanted - len(already)
    if need <= 0:
        return []
    order = [author for author, _count in reviews]
    start = order.index(reviewer) if reviewer in order else len(order)
    # Ties go to the authors right after the reviewer in submission order (wrapping round): when
    # everyone has submitted, that is a rotation, in which everyone gets exactly `wanted`.
    candidates = [
        (count, (n - start) % max(len(order), 1), author)
        for n, (author, count) in enumerate(reviews)
        if author != reviewer and author not in already
    ]
    return [author for _count, _distance, author in sorted(candidates)[:need]]

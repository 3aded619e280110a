"""Confusable skeletons of usernames (Unicode UTS #39, section 4), to refuse look-alike names.

The data is the table of the `confusable-homoglyphs` package (MIT), generated from Unicode's
confusables.txt (https://www.unicode.org/Public/security/latest/confusables.txt). That file maps
each character to its prototype; the package keeps each pair in both directions, so the mapping
is recovered here: a prototype is a fixed point (it is never mapped), so a string listed with
several confusables is a prototype and one listed with a single one maps to it. A pair that only
knows each other maps both to the smaller one, which keeps equal skeletons equal. Usernames
compare case-folded, so the skeleton is taken again after case folding: "PayPal", "paypal" and
"pаypal" (Cyrillic a) share one skeleton, as do "0" and "o".
"""

import json
import unicodedata
from functools import cache
from importlib import resources

_MARKS = "\u200e\u200f"  # the table wraps right-to-left glyphs in direction marks


@cache
def _table() -> dict[str, str]:
    raw = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    data: dict[str, list[str]] = {}
    for key, entries in raw.items():
        data.setdefault(key.strip(_MARKS), []).extend(entry["c"].strip(_MARKS) for entry in entries)
    table: dict[str, str] = {}
    for source, targets in data.items():
        if len(source) != 1 or len(set(targets)) != 1:
            continue  # a prototype, or a sequence (only single characters are mapped)
        target = targets[0]
        if len(set(data.get(target, []))) > 1 or len(target) > 1:
            table[source] = target
        else:
            table[source] = min(source, target)
    return table


def skeleton(text: str) -> str:
    """Return the confusable skeleton of a text: equal skeletons look alike."""
    table = _table()

    def mapped(value: str) -> str:
        decomposed = unicodedata.normalize("NFD", value)
        return unicodedata.normalize("NFD", "".join(table.get(char, char) for char in decomposed))

    return mapped(mapped(unicodedata.normalize("NFKC", text)).casefold())

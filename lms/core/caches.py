"""Per-process caches of one application: derived data kept between requests.

They are caches, not extension points: each is a typed field of `AppCaches`, reached with
`caches(app)`, and nothing is looked up by a string key. A new worker starts with them empty;
`clear_pages()` empties the page caches (tests count a cold page as well as a warm one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask


@dataclass
class AppCaches:
    """What one application keeps between requests, each field owned by one module."""

    # lms.core.chrome: the header and footer, split around their per-request holes.
    chrome: dict[tuple, list[str]] = field(default_factory=dict)
    # lms.courses.outline: a published course's outline by slug (checked against its key).
    outlines: dict[str, Any] = field(default_factory=dict)
    # lms.core.sessions: (the secret keys, the cookie serializer built from them).
    session_serializer: tuple[tuple, Any] | None = None
    # lms.core.security: (the Argon2 parameters, a hash to verify against for unknown users).
    dummy_hash: tuple[tuple, str] | None = None

    def clear_pages(self) -> None:
        """Empty the caches of pages' data, as in a worker that has just started."""
        self.chrome.clear()
        self.outlines.clear()


_BY_APP: WeakKeyDictionary[Flask, AppCaches] = WeakKeyDictionary()


def caches(app: Flask) -> AppCaches:
    """Return the caches of an application (`current_app` works too)."""
    app = app._get_current_object() if hasattr(app, "_get_current_object") else app
    found = _BY_APP.get(app)
    if found is None:
        found = _BY_APP.setdefault(app, AppCaches())
    return found

"""One way to page and search long lists (accounts, history, certificates, learners, queues).

`paginate` wraps Flask-SQLAlchemy's pagination with the page number read from ``?page=``
and a fixed page size, so a tampered number never errors: below 1 is the first page, past
the end is an empty page with a link back. `contains` builds the case-insensitive substring
condition of a search box, with LIKE's wildcards taken literally. Templates show the
links with ``{% from "_pager.html" import pager %}{{ pager(page) }}``.
"""

import sqlalchemy as sa
from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination

PER_PAGE = 50
MAX_PAGE = 1_000_000
# Longest search text kept (a search box, not a query language).
MAX_SEARCH = 100


def page_number() -> int:
    """Return the requested page (1-based), bounded."""
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), MAX_PAGE)


def search_text() -> str:
    """Return the ``?q=`` search text, trimmed and bounded ("" for none)."""
    return " ".join(request.args.get("q", "").split())[:MAX_SEARCH]


def paginate(select: sa.Select, *, page: int | None = None, per_page: int | None = None) -> Pagination:
    """Run one page of ``select`` (which must have a total order) and count the whole.

    The page is ``?page=`` unless given (a service, which never reads the request, is handed
    `page_number()` by its view).
    """
    number = page_number() if page is None else min(max(page, 1), MAX_PAGE)
    per_page = per_page or PER_PAGE
    db = current_app.extensions["sqlalchemy"]
    return db.paginate(select, page=number, per_page=per_page, max_per_page=per_page, error_out=False)


def contains(column: sa.ColumnElement[str], text: str) -> sa.ColumnElement[bool]:
    """Return "column contains text", case-insensitive, with ``%`` ``_`` and ``\\`` literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")

"""One page of the editor's long lists: a select paged in SQL, or a service's list paged in memory.

Both give a flask_sqlalchemy Pagination, so templates show them with the `pager` macro. The
page number comes from the view (`lms.core.pagination.page_number`): services never read the
request. A number out of range is harmless: below 1 is the first page, past the end is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from lms.core.pagination import MAX_PAGE, PER_PAGE
from lms.extensions import db


def one_page(query: sa.Select, number: int) -> Pagination:
    """Run page `number` (1-based) of a query with a total order, and count the whole."""
    number = min(max(number, 1), MAX_PAGE)
    return db.paginate(query, page=number, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)


class _ListPagination(Pagination):
    """A page of a list another domain's service returns whole (its queue has no select to page)."""

    def _query_items(self) -> list[Any]:
        rows = self._query_args["rows"]
        return list(rows[self._query_offset : self._query_offset + self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


def list_page(rows: Sequence[Any], number: int) -> Pagination:
    """Return page `number` (1-based) of a list, as `one_page` pages a query."""
    number = min(max(number, 1), MAX_PAGE)
    return _ListPagination(page=number, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False, rows=rows)

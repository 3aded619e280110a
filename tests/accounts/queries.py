"""Count the SELECT statements a block of code sends to the database."""

from contextlib import contextmanager

import sqlalchemy as sa

from lms.extensions import db


@contextmanager
def selects():
    """Yield the list of SELECTs sent while the block runs (savepoints and writes left out)."""
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_rest):
        if statement.lstrip()[:6].upper() == "SELECT":
            sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)

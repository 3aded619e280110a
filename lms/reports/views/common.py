"""What the report pages share: the user's scope and filter, the locale and file downloads."""

import tempfile
from collections.abc import Callable
from typing import IO, Any, TypeVar

import sqlalchemy as sa
from flask import Response, current_app, request
from flask_babel import get_locale
from flask_login import current_user

from lms.core.db import utcnow
from lms.core.pagination import paginate, search_text
from lms.extensions import db
from lms.reports import filters, services

T = TypeVar("T")


def current_scope() -> filters.Scope:
    """Return the signed-in user's scope (NotAllowed, a 403, for those who have none)."""
    return services.scope_for(current_user)


def report_filter(scope: filters.Scope) -> filters.ReportFilter:
    """Return the filter in the URL; FilterError (400), NotAllowed or NotFound when it is not theirs."""
    f = filters.parse_filter(request.args)
    services.check_filter(scope, f)
    return f


def listing(select_for: Callable[[str], sa.Select]) -> dict[str, Any]:
    """Page a searchable list: `page` (of `select_for(search text)`) and `search`, for the template."""
    search = search_text()
    return {"page": paginate(select_for(search)), "search": search}


def locale() -> str:
    """Return the interface language of the request."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def today() -> str:
    """Return today's UTC date as ISO 8601, for file names."""
    return utcnow().date().isoformat()


def export(write: Callable[[IO[bytes]], object], mimetype: str, filename: str) -> Response:
    """Write an audited export to a temporary file, commit its audit entry, then send the file."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - download closes it after the download
    try:
        write(out)
    except BaseException:
        out.close()
        raise
    db.session.commit()
    return download(out, mimetype, filename)


def download(out, mimetype: str, filename: str) -> Response:
    """Stream a finished temporary file to the client in blocks, then close (and so delete) it."""
    size = out.tell()
    out.seek(0)

    def blocks():
        with out:
            while block := out.read(64 * 1024):
                yield block

    response = Response(blocks(), mimetype=mimetype, direct_passthrough=True)
    response.call_on_close(out.close)  # also when the client leaves before the end
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

"""Hand stored files back as downloads only: never shown in the browser, never converted."""

import io

from flask import Response, send_file


def send_download(data: bytes, content_type: str, filename: str) -> Response:
    """Return a private, uncached download (`Content-Disposition: attachment`) of these bytes."""
    response = send_file(
        io.BytesIO(data), mimetype=content_type, as_attachment=True, download_name=filename, max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response

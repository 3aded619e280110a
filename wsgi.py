"""WSGI entry point for gunicorn (`gunicorn wsgi:app`) and the `flask` command.

`LMS_ENV=development` selects the development settings; `make run` writes it into `.flaskenv`,
which only the `flask` command reads (gunicorn never does), so the README's `flask ...` commands
work after `make run` while `make serve` and gunicorn stay on production settings.
"""

import os
import sys

from lms.app import create_app

if os.environ.get("LMS_ENV") == "development":
    from config import DevelopmentConfig as _Config
else:
    from config import Config as _Config

_overrides = {}
if os.environ.get("FLASK_RUN_FROM_CLI") == "true" and not _Config.SECRET_KEY:
    # Commands that only touch the database need no secret key, and `flask --help` must still
    # list the project's commands; serving pages without one is refused (see create_app).
    print(
        "Note: LMS_SECRET_KEY is not set, so these are production settings without a secret key: "
        "pages will not be served. For a development instance run `make run` first "
        "(or set LMS_ENV=development).",
        file=sys.stderr,
    )
    _overrides["SECRET_KEY_OPTIONAL"] = True

app = create_app(_Config, **_overrides)

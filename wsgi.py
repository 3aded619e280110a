"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

import os

from lms.app import create_app

if os.environ.get("LMS_ENV") == "development":
    from config import DevelopmentConfig as _Config
else:
    from config import Config as _Config

app = create_app(_Config)

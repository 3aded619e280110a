"""The marks of the production tests (apart from conftest.py, which registers the marker first)."""

import os

import pytest

SERVER_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")

# Every production test module starts with `pytestmark = production`.
production = [
    pytest.mark.production,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="production tests start gunicorn and memcached against a PostgreSQL server: "
        "they run in the PostgreSQL run of make test (scripts/with_postgres.py)",
    ),
]

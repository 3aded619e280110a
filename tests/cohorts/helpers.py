"""Helpers for the live-session tests."""

from datetime import UTC, datetime, timedelta

from lms.cohorts import services
from lms.core.db import utcnow


def session_input(**overrides) -> services.SessionInput:
    """A valid session tomorrow, 10:00-12:00 in Beirut, unless overridden."""
    start = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    values = {
        "titles": {"en": "Shadow reports clinic", "ar": "عيادة تقارير الظل"},
        "descriptions": {"en": "Bring your draft."},
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "time_zone": "Asia/Beirut",
        "language": "en",
        "venue": "",
        "online_url": "https://meet.example.org/secret-room",
        "capacity": None,
    }
    values.update(overrides)
    return services.SessionInput(**values)


T = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

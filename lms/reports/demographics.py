"""The learner's optional demographics: what they chose to share, their data download and erasure."""

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.core.db import utcnow
from lms.extensions import db
from lms.reports.errors import ReportError
from lms.reports.models import AGE_BANDS, GENDERS, LearnerDemographics, ReportFact


def get_demographics(user: User) -> LearnerDemographics | None:
    """Return what the learner chose to tell about themselves, or None."""
    return db.session.scalar(sa.select(LearnerDemographics).where(LearnerDemographics.user_id == user.id))


def save_demographics(user: User, gender: str | None, age_band: str | None, is_shared: bool) -> None:
    """Store the learner's answers; giving neither deletes the record."""
    gender, age_band = gender or None, age_band or None
    if gender not in (None, *GENDERS) or age_band not in (None, *AGE_BANDS):
        raise ReportError(_("Choose one of the answers offered."))
    row = get_demographics(user)
    if gender is None and age_band is None:
        if row is not None:
            db.session.delete(row)
        db.session.flush()
        return
    if row is None:
        row = LearnerDemographics(user_id=user.id)
        db.session.add(row)
    row.gender, row.age_band, row.is_shared, row.updated_at = gender, age_band, is_shared, utcnow()
    db.session.flush()


def demographics_data(user: User) -> dict[str, Any] | None:
    """Return the learner's answers for their data download."""
    row = get_demographics(user)
    if row is None:
        return None
    return {"gender": row.gender, "age_band": row.age_band, "shared_in_reports": row.is_shared}


def erase_demographics(user: User) -> None:
    """Delete the learner's answers and stored report facts (their account is being erased)."""
    db.session.execute(sa.delete(LearnerDemographics).where(LearnerDemographics.user_id == user.id))
    db.session.execute(sa.delete(ReportFact).where(ReportFact.user_id == user.id))

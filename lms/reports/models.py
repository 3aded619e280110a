"""Reports: who may see which learners, cohorts, optional demographics, the export audit trail."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.cohorts.models import Cohort, CohortCourse, CohortMember, CohortOrganisation
from lms.core.db import utcnow
from lms.extensions import db

# The cohort models moved to lms.cohorts (same tables); reports code keeps importing them here.
__all__ = [
    "AGE_BANDS",
    "GENDERS",
    "Cohort",
    "CohortCourse",
    "CohortMember",
    "CohortOrganisation",
    "ExportAudit",
    "LearnerDemographics",
    "ManagedOrganisation",
    "ProgrammeManager",
]

GENDERS = ("female", "male", "other")
# Underscores, not "18-24": Excel turns some dash-separated pairs into dates.
AGE_BANDS = ("under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus")


class ManagedOrganisation(db.Model):
    """A manager's right to see the learners of one organisation."""

    __tablename__ = "managed_organisations"
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProgrammeManager(db.Model):
    """A manager who sees the whole programme (admins always do)."""

    __tablename__ = "programme_managers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearnerDemographics(db.Model):
    """Gender and age band a learner chose to give; reported only while `is_shared`."""

    __tablename__ = "learner_demographics"
    __table_args__ = (
        sa.CheckConstraint(
            "gender IS NULL OR gender IN ({})".format(", ".join(f"'{g}'" for g in GENDERS)), name="gender"
        ),
        sa.CheckConstraint(
            "age_band IS NULL OR age_band IN ({})".format(", ".join(f"'{a}'" for a in AGE_BANDS)),
            name="age_band",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    gender: Mapped[str | None] = mapped_column(sa.String(16))
    age_band: Mapped[str | None] = mapped_column(sa.String(16))
    is_shared: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExportAudit(db.Model):
    """One export of personal data: who, when, which filter and how many rows; never the data."""

    __tablename__ = "export_audits"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Kept as written at export time: "cli:<system user>" for the command line.
    actor_name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(32))  # "completions", "statements"
    format: Mapped[str] = mapped_column(sa.String(8))  # "csv", "xlsx", "jsonl"
    filters: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    row_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ReportFact(db.Model):
    """One enrolment as the dashboard adds it up, as of the last refresh (`ReportRefresh`).

    A copy of what `lms.reports.aggregates.facts` computes from enrolments, progress and
    attempts (the slow part at scale: best scores and pre/post tests); the periodic job
    `refresh_report_facts` rebuilds it every five minutes and the dashboard groups it.
    """

    __tablename__ = "report_facts"

    enrolment_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(index=True)
    course_id: Mapped[int] = mapped_column(index=True)
    enrolled_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    is_started: Mapped[bool]  # at least one lesson of the current version done
    gender: Mapped[str | None] = mapped_column(sa.String(16))  # only where shared
    score_sum: Mapped[float | None]
    score_count: Mapped[int | None]
    pre: Mapped[float | None]
    post: Mapped[float | None]
    gain: Mapped[float | None]


class ReportRefresh(db.Model):
    """When the report facts were last rebuilt (one row), with the whole programme's groups.

    `programme_groups`: the grouped rows of the unfiltered programme-wide dashboard (JSON, a
    few hundred rows), added up once at the refresh rather than on every view.
    """

    __tablename__ = "report_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime]
    took_ms: Mapped[int] = mapped_column(default=0)
    programme_groups: Mapped[str] = mapped_column(sa.Text, default="[]")

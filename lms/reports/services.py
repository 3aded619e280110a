"""The public services of reports: what views, the CLI and other domains call.

The work lives in the modules named below; this module re-exports them and declares the
periodic refresh job (its qualified name is the job queue's key). Services take the acting
user, flush and never commit.
"""

from lms.extensions import jobs
from lms.reports.aggregates import Dashboard, dashboard
from lms.reports.cohorts import leave_all_cohorts
from lms.reports.demographics import (
    demographics_data,
    erase_demographics,
    get_demographics,
    save_demographics,
)
from lms.reports.downloads import (
    FORMATS,
    audit_select,
    audit_trail,
    export_attendance,
    export_completions,
    export_statements,
    record_export,
)
from lms.reports.errors import NotAllowed, NotFound, ReportError
from lms.reports.managers import (
    ManagerScope,
    grant_scope,
    manager_choices,
    manager_scopes,
    managers_select,
    revoke_scope,
)
from lms.reports.practice import task_figures
from lms.reports.refresh import refresh_report_facts
from lms.reports.scope import (
    FilterOptions,
    check_filter,
    describe_filter,
    filter_options,
    learners_visible_to,
    manages_cohort,
    scope_for,
)

__all__ = [
    "FORMATS",
    "Dashboard",
    "FilterOptions",
    "ManagerScope",
    "NotAllowed",
    "NotFound",
    "ReportError",
    "audit_select",
    "audit_trail",
    "check_filter",
    "dashboard",
    "demographics_data",
    "describe_filter",
    "erase_demographics",
    "export_attendance",
    "export_completions",
    "export_statements",
    "filter_options",
    "get_demographics",
    "grant_scope",
    "leave_all_cohorts",
    "learners_visible_to",
    "manager_choices",
    "manager_scopes",
    "managers_select",
    "manages_cohort",
    "record_export",
    "refresh_report_facts",
    "refresh_report_facts_job",
    "revoke_scope",
    "save_demographics",
    "scope_for",
    "task_figures",
]


@jobs.every(minute="*/5")
def refresh_report_facts_job() -> None:
    """Every five minutes: the dashboard's figures, exact as of then (the page says when)."""
    refresh_report_facts()

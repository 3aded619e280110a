"""The reports blueprint: its pages come from one module per page family, registered here.

`dashboard` (figures and exports), `cohorts` (cohorts and joining one), `managers` (what
managers see, the audit trail) and `demographics` (the learner's optional answers) each
add their routes with `add_routes(bp)`; nothing is registered by importing a module.
"""

from flask import Blueprint

from lms.reports.views import cohorts, dashboard, demographics, managers

bp = Blueprint("reports", __name__, template_folder="../templates")

for pages in (dashboard, cohorts, managers, demographics):
    pages.add_routes(bp)

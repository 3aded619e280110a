"""Programme reports: dashboard, exports, cohorts, audit trail."""

from flask import Blueprint

bp = Blueprint("reports", __name__, template_folder="templates")

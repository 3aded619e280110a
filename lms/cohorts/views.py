"""The live-session blueprint: learner pages (`learner_views`) and staff pages (`staff_views`).

`lms.app` registers `bp`; each module adds its routes through its `add_routes`.
"""

from flask import Blueprint

from lms.cohorts import learner_views, staff_views

bp = Blueprint("cohorts", __name__, template_folder="templates")
learner_views.add_routes(bp)
staff_views.add_routes(bp)

__all__ = ["bp"]

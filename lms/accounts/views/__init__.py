"""Account pages: sign-up, sign-in, sessions, passwords, profile, privacy, admin.

The blueprint is built here and each module adds its pages to it explicitly, so the routes
come from the calls below, not from importing a module for its side effect.
"""

from flask import Blueprint

from lms.accounts.views import admin, me, passwords, signin

bp = Blueprint("accounts", "lms.accounts", template_folder="templates")
signin.add_routes(bp)
passwords.add_routes(bp)
me.add_routes(bp)
admin.add_routes(bp)

__all__ = ["bp"]

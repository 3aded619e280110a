"""`flask reports ...`: completion records for donors."""

from flask.cli import AppGroup

reports_cli = AppGroup("reports", help="Export programme reports.")

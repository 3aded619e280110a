"""`flask certificates ...`: bulk issuing and sample rendering."""

from flask.cli import AppGroup

certificates_cli = AppGroup("certificates", help="Issue and render certificates.")

"""The application factory."""

import contextlib
import os
import time
from pathlib import Path

from flask import Blueprint, Flask, g, request, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.accounts import services as account_services
from lms.accounts.cli import users_cli
from lms.accounts.views import bp as accounts_bp
from lms.authoring import services as authoring_services
from lms.authoring.views import bp as authoring_bp
from lms.certificates import init_app as init_certificates
from lms.certificates.cli import certificates_cli
from lms.certificates.views import bp as certificates_bp
from lms.cohorts import init_app as init_cohorts
from lms.cohorts import services as cohort_services
from lms.cohorts.views import bp as cohorts_bp
from lms.core.db import configure_engine_events, end_read_only_transaction
from lms.core.errors import handle_http_error, register_error_handlers
from lms.core.i18n import select_locale
from lms.core.jobs_cli import jobs_cli
from lms.core.logging import configure_logging
from lms.core.security import set_security_headers
from lms.core.sessions import SessionInterface
from lms.core.templating import init_templating
from lms.core.views import bp as core_bp
from lms.courses import quiz_views  # noqa: F401 - adds the quiz routes to the courses blueprint
from lms.courses.cli import courses_cli
from lms.courses.views import bp as courses_bp
from lms.courses.views import my_learning_panel
from lms.credentials import init_app as init_credentials
from lms.credentials.cli import credentials_cli
from lms.credentials.views import bp as credentials_bp
from lms.extensions import babel, csrf, db, jobs, limiter, login_manager, mail, migrate
from lms.quizzes import services as quiz_services
from lms.records import services as record_services
from lms.reports import services as report_services
from lms.reports.cli import reports_cli
from lms.reports.views import bp as reports_bp

# Holds no routes: it only makes the quizzes' form and result macros findable.
quizzes_templates_bp = Blueprint("quizzes", "lms.quizzes", template_folder="templates")
BLUEPRINTS = (
    core_bp,
    accounts_bp,
    quizzes_templates_bp,
    courses_bp,
    certificates_bp,
    credentials_bp,
    reports_bp,
    authoring_bp,
    cohorts_bp,
)
CLI_GROUPS = (users_cli, courses_cli, certificates_cli, credentials_cli, reports_cli, jobs_cli)
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config=None, **overrides) -> Flask:
    """Build the app from a config class or mapping, then keyword overrides."""
    app = Flask(__name__, instance_relative_config=False)
    if config is None:
        from config import Config

        config = Config
    if isinstance(config, dict):
        app.config.from_mapping(config)
    else:
        app.config.from_object(config)
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY") and not app.config.get("SECRET_KEY_OPTIONAL"):
        raise RuntimeError("LMS_SECRET_KEY must be set (a long random string).")
    app.instance_path = app.config.get("INSTANCE_PATH", app.instance_path)
    os.makedirs(app.instance_path, exist_ok=True)

    if app.config.get("PROXY_COUNT"):
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    configure_logging(app.config.get("LOG_IP_ADDRESSES", False))
    _init_extensions(app)
    register_error_handlers(app)
    app.register_error_handler(429, _too_many_requests)
    init_templating(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for group in CLI_GROUPS:
        app.cli.add_command(group)
    _install_request_hooks(app)
    app.extensions["tamkeen-set-locale"] = _remember_locale
    app.extensions["tamkeen-set-discreet"] = _remember_discreet
    app.extensions["tamkeen-me-panels"] = [my_learning_panel]
    init_certificates(app)
    init_credentials(app)
    init_cohorts(app)
    # Who runs a cohort's live sessions: managers whose scope covers it, trainers of its courses.
    cohort_services.add_staff_rule(
        app, lambda _sender, *, user, cohort: report_services.manages_cohort(user, cohort)
    )
    cohort_services.add_staff_rule(
        app, lambda _sender, *, user, cohort: authoring_services.trains_cohort(user, cohort)
    )
    account_services.register_data_exporter(app, "quiz_attempts", quiz_services.export_user_data)
    account_services.register_data_exporter(
        app, "learning_records", lambda user: record_services.statements_for(user.public_id)
    )
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = None  # it would hash the client's IP address into the session
    login_manager.login_message = None
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    jobs.init_app(app, db)


def _too_many_requests(error):
    """Render 429 with a Retry-After that says when this client's window resets."""
    body, code = handle_http_error(error)
    limit = limiter.current_limit
    retry = max(1, int(limit.reset_at - time.time())) if limit else 60
    return body, code, {"Retry-After": str(retry)}


def _remember_discreet(user, on: bool) -> None:
    user.is_discreet = on
    db.session.commit()


def _remember_locale(user, locale: str) -> None:
    account_services.set_locale(user, locale)
    db.session.commit()


def _install_request_hooks(app: Flask) -> None:
    app.session_interface = SessionInterface()

    if not app.config.get("SECRET_KEY"):
        # Only the CLI builds an app without a secret key; it must not serve pages with it.
        @app.before_request
        def _refuse_without_secret_key():
            return "LMS_SECRET_KEY must be set (a long random string).", 503

    @app.teardown_appcontext
    def _end_transaction(error):
        # Registered after Flask-SQLAlchemy's teardown, so it runs before the session is removed.
        if error is None and not g.get("db_unavailable"):
            with contextlib.suppress(SQLAlchemyError):  # the removal that follows rolls back
                end_read_only_transaction(db.session())

    @app.after_request
    def _headers(response):
        set_security_headers(response)
        if request.endpoint == "static":
            return response  # lms.core.templating sets its caching; no session or user is loaded
        signed_in = False
        if not g.get("db_unavailable"):
            try:
                signed_in = current_user.is_authenticated
            except Exception:  # the session store may be the thing that failed
                signed_in = "_user_id" in session
        if signed_in or request.endpoint in {"accounts.recovery_codes", "accounts.login"}:
            response.headers["Cache-Control"] = "no-store"
        return response

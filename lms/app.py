"""The application factory."""

import contextlib
import os
import time
from pathlib import Path

from flask import Blueprint, Flask, g, render_template, request, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.accounts import permissions
from lms.accounts import services as account_services
from lms.accounts.cli import users_cli
from lms.accounts.views import bp as accounts_bp
from lms.authoring import services as authoring_services
from lms.authoring.views import bp as authoring_bp
from lms.certificates import init_app as init_certificates
from lms.certificates import services as certificate_services
from lms.certificates.cli import certificates_cli
from lms.certificates.views import bp as certificates_bp
from lms.cohorts import init_app as init_cohorts
from lms.cohorts import services as cohort_services
from lms.cohorts.views import bp as cohorts_bp
from lms.core.db import configure_engine_events, end_read_only_transaction
from lms.core.errors import handle_http_error, register_error_handlers
from lms.core.i18n import select_locale
from lms.core.images import limit_decoded_pixels
from lms.core.jobs_cli import jobs_cli
from lms.core.logging import configure_logging
from lms.core.safety import OpaqueAddresses, decoy_applies, discreet_chosen, hide_addresses
from lms.core.security import BoundedIntConverter, apply_upload_limit, set_security_headers
from lms.core.sessions import SessionInterface
from lms.core.templating import init_templating
from lms.core.views import bp as core_bp
from lms.courses import services as course_services
from lms.courses.cli import courses_cli
from lms.courses.views import bp as courses_bp
from lms.courses.views import my_learning_panel
from lms.credentials import init_app as init_credentials
from lms.credentials.cli import credentials_cli
from lms.credentials.views import bp as credentials_bp
from lms.demo import demo_cli
from lms.extensions import babel, csrf, db, jobs, limiter, login_manager, mail, migrate
from lms.quizzes import services as quiz_services
from lms.records import services as record_services
from lms.records.cli import records_cli
from lms.reports import services as report_services
from lms.reports.cli import reports_cli
from lms.reports.views import bp as reports_bp
from lms.tasks import services as task_services

# Holds no routes: it only makes the quizzes' form and result macros findable.
quizzes_templates_bp = Blueprint("quizzes", "lms.quizzes", template_folder="templates")
# The same for the tasks' pages and rubric macros (their routes live in courses and authoring).
tasks_templates_bp = Blueprint("tasks", "lms.tasks", template_folder="templates")
BLUEPRINTS = (
    core_bp,
    accounts_bp,
    quizzes_templates_bp,
    tasks_templates_bp,
    courses_bp,
    certificates_bp,
    credentials_bp,
    reports_bp,
    authoring_bp,
    cohorts_bp,
)
CLI_GROUPS = (
    users_cli,
    courses_cli,
    certificates_cli,
    credentials_cli,
    reports_cli,
    records_cli,
    jobs_cli,
    demo_cli,
)
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

    app.wsgi_app = OpaqueAddresses(app, app.wsgi_app)  # /n/<token>: discreet mode's addresses
    configure_logging(app.config.get("LOG_IP_ADDRESSES", False))
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    limit_decoded_pixels()
    # Before CSRF reads the form: upload views get their larger body limit first.
    app.before_request(apply_upload_limit)
    _init_extensions(app)
    register_error_handlers(app)
    app.register_error_handler(429, _too_many_requests)
    init_templating(app)
    _init_permissions_in_templates(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for group in CLI_GROUPS:
        app.cli.add_command(group)
    _install_request_hooks(app)
    account_services.follow_chrome_choices(app)
    account_services.add_me_panel(app, my_learning_panel)
    init_certificates(app)
    init_credentials(app)
    record_services.context_requested.connect(course_services.learning_context)
    certificate_services.register_learner_scope(app, report_services.learners_visible_to)
    init_cohorts(app)
    # Who runs a cohort's live sessions: managers whose scope covers it, trainers of its courses.
    cohort_services.add_staff_rule(
        app, lambda _sender, *, user, cohort: report_services.manages_cohort(user, cohort)
    )
    cohort_services.add_staff_rule(
        app, lambda _sender, *, user, cohort: authoring_services.trains_cohort(user, cohort)
    )
    account_services.register_data_exporter(app, "quiz_attempts", quiz_services.export_user_data)
    account_services.register_pseudonym_hook(app, record_services.rekey_actor)
    account_services.register_data_exporter(app, "practice_tasks", task_services.export_user_data)
    account_services.add_erase_hook(app, task_services.erase_for)
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


def _init_permissions_in_templates(app: Flask) -> None:
    """Let templates ask the permission model: ``{% if has_role(current_user, ADMINS) %}``."""
    app.add_template_global(permissions.has_role, "has_role")
    for name in ("EVERYONE", "TRAINERS", "MARKERS", "MANAGERS", "STAFF", "ADMINS"):
        app.add_template_global(getattr(permissions, name), name)


def _too_many_requests(error):
    """Render 429 with a Retry-After that says when this client's window resets."""
    body, code = handle_http_error(error)
    limit = limiter.current_limit
    retry = max(1, int(limit.reset_at - time.time())) if limit else 60
    return body, code, {"Retry-After": str(retry)}


def _install_request_hooks(app: Flask) -> None:
    app.session_interface = SessionInterface()

    if not app.config.get("SECRET_KEY"):
        # Only the CLI builds an app without a secret key; it must not serve pages with it.
        @app.before_request
        def _refuse_without_secret_key():
            return "LMS_SECRET_KEY must be set (a long random string).", 503

    def _decoy():
        # After a quick exit every page (Back included, unknown paths, a POST) is the neutral decoy.
        if decoy_applies():
            return render_template("neutral.html")
        return None

    # First of all hooks: before the CSRF check, which would answer a decoyed POST with an error.
    app.before_request_funcs.setdefault(None, []).insert(0, _decoy)

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
                # Only active users are loaded (lms.accounts.views.signin.load_user); is_anonymous reads
                # no column, so a user a commit has expired is not read again for this.
                signed_in = not current_user.is_anonymous
            except Exception:  # the session store may be the thing that failed
                signed_in = "_user_id" in session
        # Every page is no-store, so Back asks again (and gets the decoy after a quick exit).
        if signed_in or response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        if not g.get("discreet_changed") and discreet_chosen(current_user if signed_in else None):
            hide_addresses(response)  # links and redirects to a course: opaque addresses
        return response

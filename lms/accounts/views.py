"""Account pages: sign-up, sign-in, sign-out, passwords, profile, privacy, admin."""

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from lms.accounts import devices, services
from lms.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    EraseForm,
    ForgotPasswordForm,
    MembershipForm,
    OrganisationForm,
    ProfileForm,
    RecoveryCodeForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
)
from lms.accounts.models import Role
from lms.core.deferred import after_response
from lms.core.i18n import language_name
from lms.core.safety import clear_decoy, discreet_chosen, download_name, remember_discreet, set_decoy
from lms.core.security import account_key, safe_next
from lms.extensions import csrf, db, limiter, login_manager

bp = Blueprint("accounts", __name__, template_folder="templates")

SESSION_TOKEN = "sid"  # noqa: S105 - the session key name, not a secret


def _limit(setting: str):
    return lambda: current_app.config[setting]


def _email_key() -> str:
    return account_key("email")


@login_manager.user_loader
def load_user(user_id: str):
    """Load the user of a live server-side session only."""
    live = services.load_session(user_id, session.get(SESSION_TOKEN))
    if live is None:
        return None
    if live.needs_touch:
        g.stale_session_id = live.session_id
    return live.user


@bp.before_app_request
def _touch_session():
    """Note when a session was last used, at most every few minutes, before the page does anything."""
    if request.endpoint == "static" or SESSION_TOKEN not in session:
        return
    if not current_user.is_authenticated:  # loads the session's user (once per request)
        return
    session_id = g.pop("stale_session_id", None)
    if session_id is not None:
        # Nothing of the page has run yet, so this commit carries the touch alone.
        services.touch_session(session_id)
        db.session.commit()


def sign_in(user) -> None:
    """Start a fresh session for the user (new token, no fixation)."""
    locale = session.get("locale")
    session.clear()
    token = services.start_session(user, request.user_agent.string)
    session[SESSION_TOKEN] = token
    session.permanent = True
    if locale:
        session["locale"] = locale
    login_user(user)


def require_role(*roles: Role) -> None:
    """Abort with 403 unless the signed-in user has one of these roles."""
    if not current_user.is_authenticated or current_user.role not in roles:
        abort(403)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_SIGNUP_PER_CLIENT"), methods=["POST"])
def register():
    """Create an account without revealing whether a username was taken."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.me"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            services.register(
                form.username.data,
                form.password.data,
                display_name=form.display_name.data or "",
                email=form.email.data,
                locale=request.cookies.get("tamkeen_lang"),
            )
        except services.UsernameTaken:
            db.session.rollback()
        except services.AccountError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            return render_template("accounts/register.html", form=form), 200
        else:
            db.session.commit()
        # The same answer for a new and for a taken username: nobody can probe who is here.
        flash(
            _(
                "If that username was free, your account is ready: sign in with it now. "
                "If signing in fails, the name was already taken: sign up again with another."
            )
        )
        return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_SIGNIN_PER_CLIENT"), methods=["POST"])
@limiter.limit(_limit("LIMIT_SIGNIN_PER_ACCOUNT"), key_func=account_key, methods=["POST"])
def login():
    """Sign in; failures look the same whether or not the account exists."""
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            sign_in(user)
            db.session.commit()
            if user.has_pending_recovery_codes:
                response = redirect(url_for("accounts.recovery_codes"), 303)
            else:
                response = redirect(safe_next(request.args.get("next"), url_for("accounts.me")), 303)
            clear_decoy(response)  # signing in deliberately is the way back from a quick exit
            return response
        db.session.commit()  # keep a rehash or nothing; nothing else changed
        form.username.data = ""
        form.form_errors.append(_("The username or password is not right."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out and revoke this session server-side; discreet mode stays on for this browser."""
    discreet = discreet_chosen(current_user)
    services.end_session(session.get(SESSION_TOKEN))
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    response = redirect(url_for("core.home"), 303)
    if discreet:
        remember_discreet(response, True)
    return response


@bp.post("/exit")
@csrf.exempt  # a quick exit must never fail; without a valid token it only acts on this browser
def quick_exit():
    """Leave at once: end the session, leave only the decoy behind, keep discreet mode."""
    discreet = discreet_chosen(current_user)
    if current_user.is_authenticated and _csrf_token_valid():
        services.end_session(session.get(SESSION_TOKEN))
        db.session.commit()
    logout_user()
    session.clear()
    response = redirect(url_for("core.neutral"), 303)
    # Not "cookies": the decoy and discreet cookies set here must survive; the session cookie goes
    # because the session is now empty.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    set_decoy(response)
    if discreet:
        remember_discreet(response, True)
    return response


def _csrf_token_valid() -> bool:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


@bp.route("/me/recovery-codes", methods=["GET", "POST"])
@login_required
def recovery_codes():
    """Show new one-time recovery codes (generated on POST, shown once)."""
    form = ConfirmForm()
    codes = None
    if form.validate_on_submit():
        codes = services.generate_recovery_codes(current_user)
        db.session.commit()
    return render_template("accounts/recovery_codes.html", form=form, codes=codes)


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
@limiter.limit(
    _limit("LIMIT_PASSWORD_PER_ACCOUNT"),
    key_func=lambda: f"account-id:{current_user.get_id()}",
    methods=["POST"],
)
def change_password():
    """Change the password; every other session ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            user = current_user._get_current_object()
            sign_in(user)
            db.session.commit()
            flash(_("Your password is changed. Every other session has been signed out."))
            return redirect(url_for("accounts.me"), 303)
    return render_template("accounts/password.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
@limiter.limit(_limit("LIMIT_PASSWORD_PER_ACCOUNT"), key_func=_email_key, methods=["POST"])
def forgot():
    """Ask for a reset link by e-mail; the answer never says whether the address is known.

    Nothing about the address is looked at before the answer: the lookup, the link and the
    mail happen after the response has gone out, so the answer is the same, in the same time,
    for a known and an unknown address, with the mail server up or down.
    """
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        flash(
            _(
                "If an account uses that address, a link to reset its password is on its way. "
                "It works once, for 60 minutes."
            )
        )
        response = redirect(url_for("accounts.login"), 303)
        return after_response(response, services.request_password_reset, form.email.data)
    return render_template("accounts/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
def reset(token):
    """Choose a new password with an e-mailed link."""
    if services.reset_token_user(token) is None:
        return render_template("accounts/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password_with_token(token, form.new_password.data)
        except services.AccountError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your password is changed. Sign in with it now."))
            return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/reset.html", form=form)


@bp.route("/recover", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
@limiter.limit(_limit("LIMIT_PASSWORD_PER_ACCOUNT"), key_func=account_key, methods=["POST"])
def recover():
    """Choose a new password with a one-time recovery code."""
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        try:
            services.reset_password_with_code(form.username.data, form.code.data, form.new_password.data)
        except services.AccountError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your password is changed and that recovery code is used up. Sign in now."))
            return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/recover.html", form=form)


@bp.get("/me/sessions")
@login_required
def sessions():
    """List the account's live sessions: started, last used, browser and system."""
    token = session.get(SESSION_TOKEN)
    rows = [
        (row, services.is_session_token(row, token), devices.parts(row.device))
        for row in services.list_sessions(current_user)
    ]
    return render_template("accounts/sessions.html", rows=rows, form=ConfirmForm())


@bp.post("/me/sessions/<int:session_id>/end")
@login_required
def end_session(session_id):
    """End one of the account's own sessions at once (another account's: 404)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    current = session.get(SESSION_TOKEN)
    own = next((row for row in services.list_sessions(current_user) if row.id == session_id), None)
    if own is None or not services.end_session_of(current_user, session_id):
        abort(404)
    db.session.commit()
    if services.is_session_token(own, current):
        logout_user()
        session.clear()
        flash(_("You are signed out."))
        return redirect(url_for("core.home"), 303)
    flash(_("That session is ended: the browser that used it is signed out."))
    return redirect(url_for("accounts.sessions"), 303)


@bp.post("/me/sessions/end-others")
@login_required
def end_other_sessions():
    """End every session of the account but this one."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = services.end_other_sessions(current_user, session.get(SESSION_TOKEN))
    db.session.commit()
    flash(ngettext("%(num)d other session is ended.", "%(num)d other sessions are ended.", count))
    return redirect(url_for("accounts.sessions"), 303)


@bp.get("/me/")
@login_required
def me():
    """The signed-in learner's home."""
    panels = services.panels_for(current_user)
    return render_template("accounts/me.html", panels=panels)


@bp.route("/me/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Edit display name, e-mail, language and organisations."""
    form = ProfileForm(obj=current_user)
    form.locale.choices = [("", _("Use the browser's language"))] + [
        (code, language_name(code)) for code in current_app.config["LANGUAGES"]
    ]
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    membership_form = MembershipForm()
    if form.validate_on_submit():
        services.update_profile(
            current_user,
            display_name=form.display_name.data or "",
            email=form.email.data,
            locale=form.locale.data or None,
            is_discreet=form.is_discreet.data,
        )
        db.session.commit()
        flash(_("Your profile is saved."))
        response = redirect(url_for("accounts.profile"), 303)
        remember_discreet(response, bool(form.is_discreet.data))  # this browser follows the choice
        return response
    return render_template(
        "accounts/profile.html",
        form=form,
        membership_form=membership_form,
        leave_form=ConfirmForm(prefix="leave"),
        remaining_codes=services.remaining_recovery_codes(current_user),
        # Pages other parts of the platform add about the learner (e.g. optional demographics).
        extra_links=services.extra_profile_links(),
    )


@bp.post("/me/organisations")
@login_required
@limiter.limit(_limit("LIMIT_PASSWORD_PER_CLIENT"))
def join_organisation():
    """Join an organisation with the code it gave (its consent); codes are not guessable."""
    form = MembershipForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        organisation = services.join_organisation_with_code(current_user, form.code.data)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("accounts.profile"), 303)
    db.session.commit()
    flash(_("You are now listed as a member of %(name)s.", name=organisation.name))
    return redirect(url_for("accounts.profile"), 303)


@bp.post("/me/organisations/<int:organisation_id>/leave")
@login_required
def leave_organisation(organisation_id):
    """Leave an organisation."""
    if not ConfirmForm(prefix="leave").validate_on_submit():
        abort(400)
    organisation = services.get_organisation(organisation_id) or abort(404)
    services.leave_organisation(current_user, organisation)
    db.session.commit()
    flash(_("You are no longer listed as a member of %(name)s.", name=organisation.name))
    return redirect(url_for("accounts.profile"), 303)


@bp.get("/me/data.json")
@login_required
def download_data():
    """Download everything stored about the signed-in user, as JSON."""
    data = services.export_user_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{download_name("tamkeen-my-data.json", current_user)}"'
        },
    )


@bp.route("/me/erase", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
def erase():
    """Erase the signed-in account after confirming the password."""
    form = EraseForm()
    if form.validate_on_submit():
        try:
            services.erase_user(current_user, form.password.data)
        except services.AccountError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your account and personal data are erased."))
            return redirect(url_for("core.home"), 303)
    return render_template("accounts/erase.html", form=form)


# Admin ----------------------------------------------------------------------------------------


@bp.get("/admin/users")
@login_required
def admin_users():
    """List accounts for admins."""
    require_role(Role.ADMIN)
    return render_template("accounts/admin_users.html", users=services.list_users(), form=ConfirmForm())


@bp.post("/admin/users/<int:user_id>/disable")
@login_required
def admin_disable(user_id):
    """Disable an account: it can no longer sign in and its sessions end."""
    return _set_disabled(user_id, True)


@bp.post("/admin/users/<int:user_id>/enable")
@login_required
def admin_enable(user_id):
    """Enable a disabled account."""
    return _set_disabled(user_id, False)


def _set_disabled(user_id: int, disabled: bool):
    require_role(Role.ADMIN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = services.get_user(user_id)
    if user is None or user.is_erased:
        abort(404)
    try:
        services.set_disabled(current_user, user, disabled)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(
            _("Account %(name)s is disabled.", name=user.username)
            if disabled
            else _("Account %(name)s is enabled.", name=user.username)
        )
    return redirect(url_for("accounts.admin_users"), 303)


@bp.route("/admin/organisations", methods=["GET", "POST"])
@login_required
def admin_organisations():
    """List and create organisations."""
    require_role(Role.ADMIN)
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            services.create_organisation(current_user, form.name.data, form.country.data)
        except services.AccountError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The organisation is saved."))
            return redirect(url_for("accounts.admin_organisations"), 303)
    return render_template(
        "accounts/admin_organisations.html",
        form=form,
        organisations=services.list_organisations(),
        code_form=ConfirmForm(prefix="code"),
    )


@bp.post("/admin/organisations/<int:organisation_id>/code")
@login_required
def admin_organisation_code(organisation_id):
    """Give an organisation a new join code; the old one stops working."""
    require_role(Role.ADMIN)
    if not ConfirmForm(prefix="code").validate_on_submit():
        abort(400)
    organisation = services.get_organisation(organisation_id) or abort(404)
    services.renew_join_code(current_user, organisation)
    db.session.commit()
    flash(_("%(name)s has a new join code; the old one no longer works.", name=organisation.name))
    return redirect(url_for("accounts.admin_organisations"), 303)

"""Sign-up, sign-in and sign-out, the quick exit, and the pages listing and ending one's sessions."""

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from lms.accounts import devices, services
from lms.accounts.forms import ConfirmForm, SignInForm, SignUpForm
from lms.accounts.views.common import confirmed, setting_limit
from lms.core.forms import carry_out
from lms.core.safety import clear_decoy, discreet_chosen, remember_discreet, set_decoy
from lms.core.security import account_key, safe_next
from lms.extensions import csrf, db, limiter, login_manager

SESSION_TOKEN = "sid"  # noqa: S105 - the session key name, not a secret


def load_user(user_id: str):
    """Load the user of a live server-side session only."""
    live = services.load_session(user_id, session.get(SESSION_TOKEN))
    if live is None:
        return None
    if live.needs_touch:
        g.stale_session_id = live.session_id
    return live.user


def touch_session():
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


def sign_out() -> None:
    """Forget the signed-in user in this browser (the session row is ended by the caller)."""
    logout_user()
    session.clear()


@limiter.limit(setting_limit("LIMIT_SIGNUP_PER_CLIENT"), methods=["POST"])
def register():
    """Create an account without revealing whether a username was taken."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.me"))
    form = SignUpForm()
    if form.validate_on_submit() and carry_out(form, lambda: _register_quietly(form)):
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


def _register_quietly(form: SignUpForm) -> None:
    """Create the account; a taken username changes nothing and is not told apart."""
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


@limiter.limit(setting_limit("LIMIT_SIGNIN_PER_CLIENT"), methods=["POST"])
@limiter.limit(setting_limit("LIMIT_SIGNIN_PER_ACCOUNT"), key_func=account_key, methods=["POST"])
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


def logout():
    """Sign out and revoke this session server-side; discreet mode stays on for this browser."""
    discreet = discreet_chosen(current_user)
    services.end_session(session.get(SESSION_TOKEN))
    db.session.commit()
    sign_out()
    flash(_("You are signed out."))
    response = redirect(url_for("core.home"), 303)
    if discreet:
        remember_discreet(response, True)
    return response


@csrf.exempt  # a quick exit must never fail; without a valid token it only acts on this browser
def quick_exit():
    """Leave at once: end the session, leave only the decoy behind, keep discreet mode."""
    discreet = discreet_chosen(current_user)
    if current_user.is_authenticated and _csrf_token_valid():
        services.end_session(session.get(SESSION_TOKEN))
        db.session.commit()
    sign_out()
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


@login_required
def sessions():
    """List the account's live sessions: started, last used, browser and system."""
    token = session.get(SESSION_TOKEN)
    rows = [
        (row, services.is_session_token(row, token), devices.parts(row.device))
        for row in services.list_sessions(current_user)
    ]
    return render_template("accounts/sessions.html", rows=rows, form=ConfirmForm())


@login_required
def end_session(session_id):
    """End one of the account's own sessions at once (another account's: 404)."""
    confirmed(ConfirmForm())
    was_this_one = services.end_own_session(current_user, session_id, session.get(SESSION_TOKEN))
    db.session.commit()
    if was_this_one:
        sign_out()
        flash(_("You are signed out."))
        return redirect(url_for("core.home"), 303)
    flash(_("That session is ended: the browser that used it is signed out."))
    return redirect(url_for("accounts.sessions"), 303)


@login_required
def end_other_sessions():
    """End every session of the account but this one."""
    confirmed(ConfirmForm())
    count = services.end_other_sessions(current_user, session.get(SESSION_TOKEN))
    db.session.commit()
    flash(ngettext("%(num)d other session is ended.", "%(num)d other sessions are ended.", count))
    return redirect(url_for("accounts.sessions"), 303)


def add_routes(bp: Blueprint) -> None:
    """Add the sign-up, sign-in, quick exit and own-sessions pages to the accounts blueprint."""
    login_manager.user_loader(load_user)
    bp.before_app_request(touch_session)
    bp.add_url_rule("/register", view_func=register, methods=["GET", "POST"])
    bp.add_url_rule("/login", view_func=login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", view_func=logout, methods=["POST"])
    bp.add_url_rule("/exit", view_func=quick_exit, methods=["POST"])
    bp.add_url_rule("/me/sessions", view_func=sessions, methods=["GET"])
    bp.add_url_rule("/me/sessions/<int:session_id>/end", view_func=end_session, methods=["POST"])
    bp.add_url_rule("/me/sessions/end-others", view_func=end_other_sessions, methods=["POST"])

"""Password pages: change it, reset it by e-mail or with a recovery code, get new recovery codes."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts import services
from lms.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    RecoveryCodeForm,
    ResetPasswordForm,
)
from lms.accounts.views.common import setting_limit
from lms.accounts.views.signin import sign_in
from lms.core.deferred import after_response
from lms.core.forms import carry_out
from lms.core.security import account_key
from lms.extensions import db, limiter


def _email_key() -> str:
    return account_key("email")


@login_required
def recovery_codes():
    """Show new one-time recovery codes (generated on POST, shown once)."""
    form = ConfirmForm()
    codes = None
    if form.validate_on_submit():
        codes = services.generate_recovery_codes(current_user)
        db.session.commit()
    return render_template("accounts/recovery_codes.html", form=form, codes=codes)


@login_required
@limiter.limit(setting_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
@limiter.limit(
    setting_limit("LIMIT_PASSWORD_PER_ACCOUNT"),
    key_func=lambda: f"account-id:{current_user.get_id()}",
    methods=["POST"],
)
def change_password():
    """Change the password; every other session ends."""
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and carry_out(
        form, lambda: services.change_password(user, form.current_password.data, form.new_password.data)
    ):
        sign_in(user)
        db.session.commit()
        flash(_("Your password is changed. Every other session has been signed out."))
        return redirect(url_for("accounts.me"), 303)
    return render_template("accounts/password.html", form=form)


@limiter.limit(setting_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
@limiter.limit(setting_limit("LIMIT_PASSWORD_PER_ACCOUNT"), key_func=_email_key, methods=["POST"])
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


@limiter.limit(setting_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
def reset(token):
    """Choose a new password with an e-mailed link."""
    if services.reset_token_user(token) is None:
        return render_template("accounts/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit() and carry_out(
        form, lambda: services.reset_password_with_token(token, form.new_password.data)
    ):
        db.session.commit()
        flash(_("Your password is changed. Sign in with it now."))
        return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/reset.html", form=form)


@limiter.limit(setting_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
@limiter.limit(setting_limit("LIMIT_PASSWORD_PER_ACCOUNT"), key_func=account_key, methods=["POST"])
def recover():
    """Choose a new password with a one-time recovery code."""
    form = RecoveryCodeForm()
    if form.validate_on_submit() and carry_out(
        form,
        lambda: services.reset_password_with_code(form.username.data, form.code.data, form.new_password.data),
    ):
        db.session.commit()
        flash(_("Your password is changed and that recovery code is used up. Sign in now."))
        return redirect(url_for("accounts.login"), 303)
    return render_template("accounts/recover.html", form=form)


def add_routes(bp: Blueprint) -> None:
    """Add the password, reset and recovery-code pages to the accounts blueprint."""
    bp.add_url_rule("/me/recovery-codes", view_func=recovery_codes, methods=["GET", "POST"])
    bp.add_url_rule("/me/password", view_func=change_password, methods=["GET", "POST"])
    bp.add_url_rule("/forgot", view_func=forgot, methods=["GET", "POST"])
    bp.add_url_rule("/reset/<token>", view_func=reset, methods=["GET", "POST"])
    bp.add_url_rule("/recover", view_func=recover, methods=["GET", "POST"])

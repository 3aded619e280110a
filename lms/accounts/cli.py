"""`flask users ...`: create accounts and manage them from the shell."""

import click
from flask.cli import AppGroup

from lms.accounts import services
from lms.accounts.models import Role
from lms.extensions import db

users_cli = AppGroup("users", help="Create and manage accounts.")


@users_cli.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.LEARNER.value)
@click.option("--username", prompt=True)
@click.option("--display-name", default="")
@click.password_option("--password", prompt="Password", help="Prompted for (hidden) when not given.")
def create_user(role, username, display_name, password):
    """Create an account with a role; refuses empty and common passwords."""
    try:
        user = services.create_user(username, password, Role(role), display_name=display_name)
    except services.UsernameTaken:
        db.session.rollback()
        raise click.ClickException(f"The username {username!r} is taken.")
    except services.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.username}.")


@users_cli.command("purge-sessions")
def purge_sessions():
    """Delete expired and long-ended session rows (sign-in also purges the user's own)."""
    count = services.purge_sessions()
    db.session.commit()
    click.echo(f"Purged {count} session(s).")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option("--password", prompt="New password")
def set_password(username, password):
    """Set a new password for an account; its sessions end."""
    user = services.find_user(username)
    if user is None:
        raise click.ClickException(f"No account named {username!r}.")
    try:
        services.set_password(user, password)
    except services.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    click.echo(f"Password changed for {user.username}; every session of it is signed out.")


DEMO_ACCOUNTS = [
    (Role.LEARNER, "demo-learner", "Demo Learner"),
    (Role.TRAINER, "demo-trainer", "Demo Trainer"),
    (Role.MANAGER, "demo-manager", "Demo Manager"),
    (Role.ADMIN, "demo-admin", "Demo Admin"),
]


@users_cli.command("demo")
def create_demo_accounts():
    """Create one demo account per role (development configuration only) and print them."""
    from flask import current_app

    if not current_app.config.get("DEMO_ACCOUNTS"):
        raise click.ClickException("Demo accounts exist only in the development configuration (make run).")
    click.echo("Demo accounts (development only):")
    for role, username, display_name in DEMO_ACCOUNTS:
        password = f"{username}-pass-2026"
        user = services.find_user(username)
        if user is None:
            user = services.create_user(username, password, role, display_name=display_name)
            user.has_pending_recovery_codes = False
        click.echo(f"  {role.value:<8} username: {username:<14} password: {password}")
    db.session.commit()

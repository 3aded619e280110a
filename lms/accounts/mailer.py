"""Outgoing mail: queued in the request, sent by the job worker (SMTP, a file, or the console)."""

import smtplib
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import TypedDict

from blinker import Namespace
from flask import current_app
from flask_mail import Connection as MailConnection
from flask_mail import Message

from lms.extensions import jobs

# The test transport ("memory") hands each message to whoever listens instead of sending it.
_signals = Namespace()
mail_delivered = _signals.signal(
    "mail-delivered",
    doc="Sent (sender: the app, keyword `message`: a SentMail) for each message the memory "
    "transport (tests) delivers; with that transport, a message nobody receives is lost.",
)


class SentMail(TypedDict):
    """A message as the memory transport delivers it."""

    to: str
    subject: str
    body: str
    sender: str


class _TimedConnection(MailConnection):
    """Flask-Mail's SMTP connection with a timeout (MAIL_TIMEOUT): a stalled server fails."""

    def configure_host(self) -> smtplib.SMTP:
        """Connect, as Flask-Mail does, but give up after MAIL_TIMEOUT seconds of silence."""
        kind = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = kind(self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT"])
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def neutral_sender(name: str) -> str:
    """Return the configured sender address under a neutral display name (discreet mode)."""
    _name, address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return formataddr((name, address or "no-reply@localhost"))


def send_mail(to: str, subject: str, body: str, *, sender: str | None = None) -> None:
    """Queue a plain-text message: it is sent by the job worker, never inside the request."""
    deliver_mail.enqueue(to, subject, body, sender)


@jobs.job(retries=6, retry_delay=60, name="lms.accounts.services.deliver_mail")
def deliver_mail(to: str, subject: str, body: str, sender: str | None = None) -> None:
    """Send a plain-text message through Flask-Mail, or write it to a file or the console."""
    transport = current_app.config["MAIL_TRANSPORT"]
    message = Message(subject=subject, recipients=[to], body=body, sender=sender)
    if transport == "smtp":
        # Mail goes out after the response, in the worker's thread: it must not wait forever.
        with _TimedConnection(current_app.extensions["mail"]) as connection:
            connection.send(message)
        return
    if transport == "memory":
        sent = SentMail(to=to, subject=subject, body=body, sender=str(message.sender))
        mail_delivered.send(current_app._get_current_object(), message=sent)
    elif transport == "file":
        path = Path(current_app.instance_path) / "mail.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(message.as_string() + "\n" + "-" * 60 + "\n")
    else:
        print(message.as_string())  # noqa: T201 - the console transport is for development

"""Logging that keeps client IP addresses out of the logs unless a setting enables it."""

import logging
import re

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(
    r"(?<![\w:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"
    r"|(?:[0-9a-fA-F]{1,4}:)*[0-9a-fA-F]{0,4}::(?:[0-9a-fA-F]{1,4}:)*[0-9a-fA-F]{0,4})(?![\w:])"
)
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


class DropAddresses(logging.Filter):
    """Replace anything that looks like an IP address in a log record with "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = "\n".join(_scrub(line) for line in message.split("\n"))
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def _scrub(line: str) -> str:
    # The development server's banner ("Running on http://127.0.0.1:5000", possibly after a
    # warning in the same record) is the server's own address, which a newcomer needs to see.
    if line.lstrip(" *").startswith("Running on"):
        return line
    return _IPV6.sub("-", _IPV4.sub("-", line))


def configure_logging(log_ip_addresses: bool) -> None:
    """Install (or remove) the address filter on the request loggers."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        for existing in [f for f in logger.filters if isinstance(f, DropAddresses)]:
            logger.removeFilter(existing)
        if not log_ip_addresses:
            logger.addFilter(DropAddresses())

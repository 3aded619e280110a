"""Signals certificates sends so that a higher domain (credentials) can act on a certificate.

Certificates never imports the domains above it: they subscribe to these (blinker, as Flask).
"""

from blinker import Namespace

_signals = Namespace()

certificate_revoked = _signals.signal(
    "certificate-revoked",
    doc="Sent after a certificate is revoked (flushed, not committed): sender=certificate, actor=user.",
)
certificate_reissued = _signals.signal(
    "certificate-reissued",
    doc="Sent after a certificate is issued again (flushed, not committed): sender=certificate, actor=user.",
)
certificate_page = _signals.signal(
    "certificate-page",
    doc="Sent while rendering a certificate's page: sender=certificate, viewer=user; each receiver "
    "returns safe HTML (Markup) to show under the download button, or None.",
)

"""The one script pages may carry: the quick exit's, self-hosted, never inline."""

import re

EXIT_SCRIPT = re.compile(r'<script src="/static/exit\.[0-9a-f]{12}\.js" defer></script>')


def assert_only_the_exit_script(body: str) -> None:
    """Fail unless the page's only script is the quick-exit file (no inline code)."""
    assert len(EXIT_SCRIPT.findall(body)) == 1, "the quick-exit script is missing"
    assert body.count("<script") == 1, "a page carries a script other than the quick exit's"

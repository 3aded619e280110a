"""The coarse device description: browser and system family only."""

import pytest

from lms.accounts.devices import describe

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36"
)
HEADLESS = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36"


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (IPHONE_SAFARI, "Safari/iOS"),
        (EDGE, "Edge/Windows"),
        (SAMSUNG, "Samsung Internet/Android"),
        (HEADLESS, "Chrome/Linux"),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox/Linux"),
        ("curl/8.5.0", "/"),
        ("", "/"),
        (None, "/"),
        ("\x00" * 10_000, "/"),
    ],
)
def test_describe_keeps_families_only(user_agent, expected):
    assert describe(user_agent) == expected

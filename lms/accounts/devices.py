"""A coarse device description from a User-Agent: browser and system family, nothing finer."""

# Checked in order: many browsers also name the ones they are built on.
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("CriOS", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("iPod", "iOS"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe(user_agent: str | None) -> str:
    """Return "<browser>/<system>" family names, an empty part where unknown: never versions."""
    text = (user_agent or "")[:512]
    browser = next((name for marker, name in _BROWSERS if marker in text), "")
    system = next((name for marker, name in _SYSTEMS if marker in text), "")
    return f"{browser}/{system}"


def parts(device: str) -> tuple[str, str]:
    """Split a stored description into (browser, system)."""
    browser, _slash, system = (device or "").partition("/")
    return browser, system

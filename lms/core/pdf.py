"""Safe PDF rendering with WeasyPrint: bundled fonts only, no local files, no network.

Documents are rendered from HTML with plain data. Every URL the document refers to resolves
under ASSET_BASE and is answered only from the bundled fonts and the assets the caller passes;
anything else (file://, http://, data: tricks) is refused, so a hostile string can never make the
renderer read the server's files or call out.

A kind of document rendered many times (certificates) can keep its CSS in a `Stylesheet`: parsed,
with its fonts loaded, once per thread rather than for every document.
"""

import contextlib
import ctypes
import signal
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

FONT_DIR = Path(__file__).resolve().parent / "fonts"
ASSET_BASE = "https://assets.tamkeen.invalid/"
FONT_FILES = {
    "NotoSans-Regular.ttf": ("Noto Sans", 400),
    "NotoSans-Bold.ttf": ("Noto Sans", 700),
    "NotoNaskhArabic-Regular.ttf": ("Noto Naskh Arabic", 400),
    "NotoNaskhArabic-Bold.ttf": ("Noto Naskh Arabic", 700),
}
# Latin first, Arabic second: each script falls through to the font that has it.
FONT_STACK = "'Noto Sans', 'Noto Naskh Arabic'"
FONT_STACK_ARABIC = "'Noto Naskh Arabic', 'Noto Sans'"


class RenderTimeout(Exception):
    """Rendering took longer than allowed."""


def font_face_css() -> str:
    """Return @font-face rules for the bundled fonts."""
    rules = []
    for name, (family, weight) in FONT_FILES.items():
        rules.append(
            f"@font-face {{ font-family: '{family}'; font-weight: {weight}; "
            f"src: url('{ASSET_BASE}fonts/{name}') format('truetype'); }}"
        )
    return "\n".join(rules)


class BundledAssetFetcher(URLFetcher):
    """Answer only bundled fonts and the caller's in-memory assets; refuse everything else."""

    def __init__(self, assets: Mapping[str, tuple[bytes, str]] | None = None):
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self._assets = dict(assets or {})

    def fetch(self, url, headers=None):
        """Return the bundled resource for `url` or raise."""
        if not url.startswith(ASSET_BASE):
            raise ValueError(f"refused to fetch {url[:80]!r}")
        path = url[len(ASSET_BASE) :].split("?")[0].split("#")[0]
        if path.startswith("fonts/") and path[6:] in FONT_FILES:
            data = (FONT_DIR / path[6:]).read_bytes()
            return URLFetcherResponse(url, data, {"Content-Type": "font/ttf"})
        if path in self._assets:
            data, content_type = self._assets[path]
            return URLFetcherResponse(url, data, {"Content-Type": content_type})
        raise ValueError(f"no such bundled asset {path[:80]!r}")


class Stylesheet:
    """CSS for many documents, parsed once per thread with the bundled fonts it loads.

    Parsing a stylesheet and loading its `@font-face` fonts costs more than laying out a short
    document. Each thread keeps its own font configuration and parsed CSS (WeasyPrint objects
    are not shared between threads); fonts are fetched with `BundledAssetFetcher`, so only
    bundled fonts can ever enter them. Documents rendered with it should have no `@font-face`
    of their own, or they would add fonts to the shared configuration.
    """

    def __init__(self, css: str):
        self.css = css
        self._per_thread = threading.local()

    def parsed(self):
        """Return this thread's (font configuration, parsed CSS), parsing them on first use."""
        parsed = getattr(self._per_thread, "parsed", None)
        if parsed is None:
            from weasyprint import CSS
            from weasyprint.text.fonts import FontConfiguration

            font_config = FontConfiguration()
            css = CSS(
                string=self.css,
                base_url=ASSET_BASE,
                url_fetcher=BundledAssetFetcher(),
                font_config=font_config,
            )
            # Kept only once complete: a time limit may interrupt the parsing.
            parsed = self._per_thread.parsed = (font_config, css)
        return parsed


REFIRE_SECONDS = 0.05


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Abort the block with RenderTimeout after `seconds`, in any thread of any process.

    On the main thread a SIGALRM timer interrupts the block. Elsewhere (a gunicorn thread,
    a job worker's thread) a watchdog timer raises RenderTimeout inside the rendering thread
    (CPython's asynchronous exception): it is delivered at the thread's next Python
    instruction, and WeasyPrint's layout is Python, so a runaway render stops within
    milliseconds of the limit. A single call into C (one Pango layout) finishes first.
    """
    if seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread():
        with _alarm(seconds):
            yield
        return
    with _watchdog(seconds):
        yield


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def _expire(_signum, _frame):
        raise RenderTimeout(f"rendering took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    # Fires again every REFIRE_SECONDS: an exception raised while the thread runs a weakref or
    # __del__ callback is swallowed by Python, so one firing alone could be lost.
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Expired(RenderTimeout):
    """Raised asynchronously in a thread whose render ran out of time (no arguments: C raises it)."""

    def __init__(self, *args):
        super().__init__(*(args or ("rendering took longer than its time limit",)))


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> int:
    target = ctypes.py_object(exc) if exc is not None else None
    return ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), target)


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    thread_id = threading.get_ident()
    lock = threading.Lock()
    state = {"inside": True, "fired": False}
    stop = threading.Event()

    def expire() -> None:
        # Fires at the limit, then again every REFIRE_SECONDS until the block is left: an
        # exception delivered while the thread runs a weakref or __del__ callback is swallowed.
        delay = seconds
        while not stop.wait(delay):
            with lock:
                if not state["inside"]:
                    return
                state["fired"] = True
                _set_async_exc(thread_id, _Expired)
            delay = REFIRE_SECONDS

    timer = threading.Thread(target=expire, daemon=True, name="render-time-limit")
    timer.start()
    try:
        yield
    finally:
        stop.set()
        with lock:
            state["inside"] = False
            if state["fired"]:
                # Fired just as the block ended: take back an exception not yet delivered,
                # so it can never surface in the caller's code after the block.
                _set_async_exc(thread_id, None)


def render_pdf(
    html: str,
    *,
    assets: Mapping[str, tuple[bytes, str]] | None = None,
    stylesheet: Stylesheet | None = None,
    timeout: float = 60,
) -> bytes:
    """Render an HTML document to PDF bytes with the bundled fonts and assets only.

    Without a `stylesheet`, the document's fonts are loaded for this document alone (a new
    font configuration); with one, its CSS applies too and its font configuration is reused.
    """
    # Imported here: loading Pango is slow and belongs to the first render, not to app start.
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = BundledAssetFetcher(assets)
    with time_limit(timeout):
        if stylesheet is None:
            font_config, stylesheets = FontConfiguration(), []
        else:
            font_config, css = stylesheet.parsed()
            stylesheets = [css]
        document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher)
        return document.write_pdf(font_config=font_config, stylesheets=stylesheets)

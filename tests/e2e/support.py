"""The browser suite's tools: the live server, a per-page audit, and steps a learner takes."""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, Response, expect
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGE_BUDGET = 30 * 1024  # HTML + CSS + JavaScript of one page, uncompressed
IMMUTABLE = "public, max-age=31536000, immutable"
# /static/style.0123456789ab.css or /static/0123456789ab/style.css
FINGERPRINTED = re.compile(r"^/static/(?:[^/]+\.[0-9a-f]{8,}\.[A-Za-z0-9]+|[0-9a-f]{8,}/.+)$")


class _QuietHandler(WSGIRequestHandler):
    """Serve without logging each request to stderr."""

    def log_request(self, *args, **kwargs):
        """Log nothing: failures show up in the assertions instead."""


class LiveServer:
    """The real app served on 127.0.0.1 on a free port, in a background thread."""

    def __init__(self, app: Flask):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.netloc = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="e2e-server", daemon=True)

    def start(self) -> LiveServer:
        """Start answering requests."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        self._server.shutdown()
        self._thread.join(timeout=10)

    def has_endpoint(self, endpoint: str) -> bool:
        """Tell whether the app has a route with this endpoint (for steps of domains still being built)."""
        return endpoint in self.app.view_functions


@dataclass
class PageReport:
    """What the audit measured on one page."""

    url: str
    html_bytes: int
    asset_bytes: dict[str, int]

    @property
    def total(self) -> int:
        """HTML, CSS and JavaScript together."""
        return self.html_bytes + sum(self.asset_bytes.values())


@dataclass
class Audit:
    """Checks every page a journey lands on: requests, weight, caching, images and (optionally) axe.

    Call `check()` after each navigation. Requests are recorded for the whole browser context,
    so a background request from any page counts too.
    """

    page: Page
    server: LiveServer
    locale: str
    run_axe: bool = True
    take_screenshots: bool = True
    reports: list[PageReport] = field(default_factory=list)
    _requests: list[str] = field(default_factory=list)
    _documents: list[Response] = field(default_factory=list)
    _static_checked: dict[str, int] = field(default_factory=dict)
    _axe: Axe = field(default_factory=Axe)

    def __post_init__(self):
        self.page.context.on("request", lambda request: self._requests.append(request.url))
        self.page.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type == "document" and response.request.frame == self.page.main_frame:
            self._documents.append(response)

    def check(self, screenshot: str | None = None, *, axe: bool | None = None) -> PageReport:
        """Audit the page now shown; save a screenshot under that name if given."""
        self.page.wait_for_load_state("load")
        self._check_hosts()
        report = self._check_weight_and_caching()
        self._check_images()
        self._check_document()
        if self.run_axe if axe is None else axe:
            self._check_axe()
        if screenshot and self.take_screenshots:
            self.screenshot(screenshot)
        self.reports.append(report)
        return report

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot as test-artifacts/screenshots/<locale>-<name>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.locale}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def _check_hosts(self) -> None:
        requests, self._requests[:] = list(self._requests), []
        foreign = [url for url in requests if not self._is_own(url)]
        assert not foreign, f"requests to another host from {self.page.url}: {foreign}"

    def _is_own(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return False  # nothing of ours uses data: URLs; one would hide an inlined resource
        return parts.scheme == "http" and parts.netloc == self.server.netloc

    def _check_weight_and_caching(self) -> PageReport:
        documents, self._documents[:] = list(self._documents), []
        final = [r for r in documents if r.status < 300 or r.status >= 400]
        assert final, f"no document response recorded for {self.page.url}"
        html = len(final[-1].body())
        assets = self.page.eval_on_selector_all(
            "link[rel~=stylesheet], link[rel~=icon], script[src], img[src]",
            "els => els.map(e => [e.tagName.toLowerCase(), e.getAttribute('rel') || '', e.href || e.src])",
        )
        weights: dict[str, int] = {}
        for tag, rel, url in assets:
            path = urlsplit(url).path
            if path.startswith("/static/"):
                size = self._check_static(url)
                if tag == "script" or "stylesheet" in rel:
                    weights[path] = size
        report = PageReport(self.page.url, html, weights)
        assert report.total <= PAGE_BUDGET, (
            f"{self.page.url} weighs {report.total} bytes of HTML, CSS and JavaScript "
            f"(budget {PAGE_BUDGET}): {html} of HTML, {weights}"
        )
        return report

    def _check_static(self, url: str) -> int:
        """Check a static file once: fingerprinted name, cached for a year; return its size."""
        if url in self._static_checked:
            return self._static_checked[url]
        path = urlsplit(url).path
        assert FINGERPRINTED.match(path), f"static file without a content hash in its name: {path}"
        # The page's own request context: the learner's cookies go along, as they would.
        response = self.page.context.request.get(url)
        assert response.ok, (url, response.status)
        assert response.headers.get("cache-control") == IMMUTABLE, (
            f"{path} is served with Cache-Control {response.headers.get('cache-control')!r}"
        )
        size = len(response.body())
        self._static_checked[url] = size
        return size

    def _check_images(self) -> None:
        images = self.page.eval_on_selector_all(
            "main img",
            "els => els.map(e => [e.getAttribute('src'), e.getAttribute('loading'),"
            " e.getAttribute('width'), e.getAttribute('height')])",
        )
        for src, loading, width, height in images:
            assert loading == "lazy", f"image {src} on {self.page.url} is not lazy-loaded"
            assert width and height, f"image {src} on {self.page.url} has no width and height"

    def _check_document(self) -> None:
        """The page says its language and direction (Babel's), and has one main landmark."""
        html = self.page.locator("html")
        expect(html).to_have_attribute("lang", self.locale)
        expect(html).to_have_attribute("dir", "rtl" if self.locale == "ar" else "ltr")
        expect(self.page.locator("main")).to_have_count(1)

    def _check_axe(self) -> None:
        results = self._axe.run(self.page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        assert results.violations_count == 0, (
            f"axe found problems on {self.page.url} ({self.locale}):\n{results.generate_report()}"
        )


def pdf_to_png(pdf: Path, name: str) -> Path:
    """Render a PDF's first page as test-artifacts/screenshots/<name>.png, to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / name
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(out)], check=True)
    return out.with_suffix(".png")

"""The floor for bench/lesson_page.py: a bare Flask app serving one page of a lesson's size."""

from flask import Flask

app = Flask(__name__)
PAGE = (
    "<!doctype html><html lang=en><title>Bare</title><main>"
    + "<p>Bare page text.</p>" * 480
    + "</main></html>"
)


@app.get("/")
def page():
    """A constant page of about 10 kB: no database, no templates, no session."""
    return PAGE


@app.get("/healthz")
def healthz():
    """Ready check, as the real app has."""
    return {"status": "ok"}

"""The PDF render time limit holds on the main thread and in worker threads alike."""

import threading
import time

import pytest

from lms.core.pdf import RenderTimeout, render_pdf, time_limit

# Long enough that WeasyPrint takes well over the limits below on any machine.
BIG = (
    "<html><body>"
    + "".join(f"<p>Paragraph {n} " + "word " * 60 + "</p>" for n in range(6000))
    + "</body></html>"
)
SMALL = "<html><body><p>Hello</p></body></html>"

# A firing that lands inside a weakref or __del__ callback is swallowed by Python (and reported
# as "unraisable"); the limit fires again until the render stops, which is what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _in_thread(function):
    outcome = {}

    def run():
        started = time.perf_counter()
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcome["error"] = error
        outcome["took"] = time.perf_counter() - started

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert not thread.is_alive()
    return outcome


def test_a_render_over_the_limit_in_a_worker_thread_is_aborted():
    outcome = _in_thread(lambda: render_pdf(BIG, timeout=0.5))
    assert isinstance(outcome.get("error"), RenderTimeout), outcome
    assert outcome["took"] < 5  # stopped near the limit, not after the whole render


def test_a_render_within_the_limit_in_a_worker_thread_succeeds():
    outcome = _in_thread(lambda: render_pdf(SMALL, timeout=30))
    assert "error" not in outcome, outcome
    assert outcome["value"].startswith(b"%PDF")


def test_the_limit_in_a_thread_interrupts_plain_python_work_and_is_cancelled_after():
    def busy():
        with time_limit(0.2):
            while True:
                pass

    assert isinstance(_in_thread(busy).get("error"), RenderTimeout)

    def quick():
        with time_limit(0.2):
            pass
        time.sleep(0.4)
        return "done"

    assert _in_thread(quick).get("value") == "done"


def test_a_render_over_the_limit_on_the_main_thread_is_aborted():
    started = time.perf_counter()
    with pytest.raises(RenderTimeout):
        render_pdf(BIG, timeout=0.5)
    assert time.perf_counter() - started < 5

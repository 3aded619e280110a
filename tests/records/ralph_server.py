"""Run Ralph's own LRS (`ralph runserver`, file-system backend) on 127.0.0.1 for the tests."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import bcrypt

USERNAME = "tamkeen-sender"
PASSWORD = "lrs-test-password"  # noqa: S105 - a throwaway account of a throwaway server

# Ralph 5.1's file-system LRS backend writes with operation "index", which refuses to touch
# an existing file: every POST after the first answers 500 (tests/records/test_lrs.py pins
# this). The server's processes append instead; this is the only change made to Ralph.
SITECUSTOMIZE = """\
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND
"""


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RalphServer:
    """A running Ralph LRS: its xAPI base URL, credentials and data folder."""

    url: str
    data_dir: Path
    process: subprocess.Popen
    log: IO[bytes]

    def _get(self, path: str, **params) -> dict:
        token = b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        request = urllib.request.Request(  # noqa: S310 - the local test server
            f"{self.url}{path}{query}",
            headers={"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    def statements(self) -> list[dict]:
        """Return every statement the LRS holds (following ``more`` links)."""
        found, page = [], self._get("/statements", limit=500)
        while True:
            found += page["statements"]
            if not page.get("more"):
                return found
            more = urllib.parse.urlsplit(page["more"])
            page = self._get(more.path.removeprefix("/xAPI"), **dict(urllib.parse.parse_qsl(more.query)))

    def stop(self) -> None:
        """End the server and its reloader (the process group this test started)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def start(root: Path) -> RalphServer:
    """Start `ralph runserver -b fs` with one basic-auth account; wait until it answers."""
    data_dir, patch_dir = root / "data", root / "patch"
    data_dir.mkdir()
    patch_dir.mkdir()
    (patch_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    auth_file = root / "auth.json"
    auth_file.write_text(
        json.dumps(
            [
                {
                    "agent": {"mbox": "mailto:tamkeen-sender@example.org", "objectType": "Agent"},
                    "scopes": ["all"],
                    "hash": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(),
                    "username": USERNAME,
                }
            ]
        ),
        encoding="utf-8",
    )
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(patch_dir),
        "RALPH_APP_DIR": str(root),
        "RALPH_AUTH_FILE": str(auth_file),
        "RALPH_RUNSERVER_MAX_SEARCH_HITS_COUNT": "500",
    }
    ralph = Path(sys.executable).parent / "ralph"
    log = (root / "ralph.log").open("wb")
    process = subprocess.Popen(
        [str(ralph), "runserver", "-b", "fs", "--fs-default-directory-path", str(data_dir)]
        + ["-h", "127.0.0.1", "-p", str(port)],
        cwd=root,  # its auto-reloader watches the working directory: not the project
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = RalphServer(f"http://127.0.0.1:{port}/xAPI", data_dir, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/__heartbeat__", timeout=2):  # noqa: S310
                return server
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    server.stop()
    raise RuntimeError("Ralph did not start: " + (root / "ralph.log").read_text(errors="replace")[-2000:])

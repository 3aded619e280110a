"""Run real app servers for the production tests, the load generator and the benchmarks.

Everything here talks to 127.0.0.1 only: a throwaway database on the PostgreSQL server of
LMS_TEST_DATABASE_URL, memcached on a free loopback port, gunicorn instances with the settings of
deploy/gunicorn.conf.py, and a small HTTP client (http.client, cookies, CSRF) that records what
every request took. Nothing here imports the app, so the servers and the client never share state.
"""

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from http import client as http_client
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PASSWORD = "correct horse battery staple"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def require_loopback(host: str | None) -> None:
    """Refuse any target that is not this machine: load and faults go to loopback only."""
    if host not in LOOPBACK and not (host or "").startswith("127."):
        raise ValueError(f"refusing to send traffic to {host!r}: only 127.0.0.1 is allowed")


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Wait until something listens on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


# PostgreSQL ------------------------------------------------------------------------------------


def libpq_url(sqlalchemy_url: str) -> str:
    """Turn a SQLAlchemy URL (postgresql+psycopg://) into one psycopg accepts."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", sqlalchemy_url)


def database_url(server_url: str, name: str) -> str:
    """Return the URL of database `name` on the server of `server_url`."""
    return server_url.rsplit("/", 1)[0] + "/" + name


def create_database(server_url: str, name: str) -> str:
    """Create a fresh, empty database on the server of `server_url`; return its URL."""
    import psycopg

    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    """Drop a database made by create_database (its connections are ended first)."""
    import psycopg

    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclasses.dataclass
class PostgresControl:
    """Stop, start and restart the throwaway cluster of scripts/with_postgres.py."""

    datadir: str
    pg_ctl: str

    @classmethod
    def from_environment(cls) -> "PostgresControl | None":
        """Return the control of LMS_TEST_PG_DATADIR / LMS_TEST_PG_CTL, or None outside it."""
        datadir, pg_ctl = os.environ.get("LMS_TEST_PG_DATADIR"), os.environ.get("LMS_TEST_PG_CTL")
        if not datadir or not pg_ctl:
            return None
        return cls(datadir, pg_ctl)

    def _run(self, *args: str) -> None:
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*as_user, self.pg_ctl, "-D", self.datadir, *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )

    def _options(self) -> str:
        # postmaster.opts holds the command line the server was started with (port, socket dir...).
        line = (Path(self.datadir) / "postmaster.opts").read_text().strip()
        words = re.findall(r'"([^"]*)"', line)
        return " ".join(w for w in words if w != "-D" and w != self.datadir)

    def restart(self, mode: str) -> None:
        """pg_ctl restart -m MODE (fast or immediate), waiting until it accepts connections."""
        self._run("-m", mode, "-w", "-t", "60", "restart")

    def stop(self, mode: str) -> str:
        """Stop the server (fast or immediate); return the options to start it again."""
        options = self._options()
        self._run("-m", mode, "-w", "-t", "60", "stop")
        return options

    def start(self, options: str) -> None:
        """Start the server again with the options it had, waiting until it is ready."""
        self._run("-o", options, "-l", str(Path(self.datadir).parent / "log"), "-w", "-t", "60", "start")


# Seeding ----------------------------------------------------------------------------------------


def seed(
    database_url: str,
    instance: Path,
    *,
    learners: int,
    finished: int = 0,
    prefix: str = "load",
    scale: int = 0,
    admin: str | None = None,
    readers: int = 0,
) -> None:
    """Create the schema, load the shipped courses and the load-test accounts (in a subprocess)."""
    extra = [
        *(["--scale", str(scale)] if scale else []),
        *(["--admin", admin] if admin else []),
        *(["--readers", str(readers)] if readers else []),
    ]
    subprocess.run(
        [
            str(BIN / "python"),
            "-m",
            "tests.production.seed",
            "--database",
            database_url,
            "--instance",
            str(instance),
            "--learners",
            str(learners),
            "--finished",
            str(finished),
            "--prefix",
            prefix,
            *extra,
        ],
        check=True,
        cwd=ROOT,
        env=server_environment(database_url, instance),
    )


def server_environment(database_url: str, instance: Path, **settings: str) -> dict[str, str]:
    """Return the environment of a production app server (LMS_* settings) for these tests."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LMS_") and key not in {"FLASK_APP", "WSGI_APP"}
    }
    env.update(
        {
            "LMS_DATABASE_URL": database_url,
            "LMS_SECRET_KEY": "production-test-secret-key-not-for-real-use",
            "LMS_INSTANCE_PATH": str(instance),
            "LMS_SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
            "LMS_MAIL_TRANSPORT": "file",
            "LMS_SITE_URL": "http://127.0.0.1",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update({f"LMS_{key}": value for key, value in settings.items()})
    return env


# Servers ----------------------------------------------------------------------------------------


class Memcached:
    """memcached on a free loopback port, for shared rate-limit counters."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        """The Flask-Limiter storage URI of this server."""
        return f"memcached://127.0.0.1:{self.port}"

    def __enter__(self) -> "Memcached":
        binary = shutil.which("memcached")
        if binary is None:
            raise FileNotFoundError("memcached is not installed (make system-deps installs it)")
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(
            [binary, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-m", "16", "-t", "2", *user],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Gunicorn:
    """One gunicorn instance (master and workers) with the settings of deploy/gunicorn.conf.py."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        app: str = "wsgi:app",
        workers: int = 2,
        threads: int = 1,
        log_dir: Path | None = None,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.port = free_port()
        self.env = {
            **env,
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": str(threads),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
        }
        self.app = app
        self.extra = extra
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="tamkeen-gunicorn-"))
        self.log_path = self.log_dir / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The base URL of this server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "Gunicorn":
        """Start the server and wait until /healthz answers 200."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), *self.extra, self.app],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.process.returncode}:\n{self.log_text()[-3000:]}")
            if self.answers("/healthz") == 200:
                return self
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"gunicorn did not answer /healthz in {timeout} s:\n{self.log_text()[-3000:]}")

    def answers(self, path: str, timeout: float = 2.0) -> int | None:
        """Return the status of a GET, or None when the server does not answer."""
        conn = http_client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.status
        except (OSError, http_client.HTTPException):
            return None
        finally:
            conn.close()

    def log_text(self) -> str:
        """Return what the server logged."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's live workers."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in children.read_text().split()]
        output = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in output.split()]

    def stop(self, timeout: float = 30.0) -> int | None:
        """Stop gracefully (SIGTERM to the master); kill if it takes longer than `timeout`."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(timeout=10)

    def __enter__(self) -> "Gunicorn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# HTTP client ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Sample:
    """One request as the client saw it."""

    started: float
    elapsed: float
    method: str
    label: str
    status: int  # 0: the connection failed (no answer)
    retry_after: str | None = None

    @property
    def kind(self) -> str:
        """Reads are GETs; writes are POSTs."""
        return "write" if self.method == "POST" else "read"


class Stats:
    """Thread-safe collection of samples, summarised as throughput and percentiles."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self._lock = threading.Lock()

    def add(self, sample: Sample) -> None:
        """Record one request."""
        with self._lock:
            self.samples.append(sample)

    def of(self, kind: str | None = None, label: str | None = None) -> list[Sample]:
        """Return the samples of a kind (read/write) and/or label."""
        with self._lock:
            return [
                s
                for s in self.samples
                if (kind is None or s.kind == kind) and (label is None or s.label == label)
            ]

    def server_errors(self) -> list[Sample]:
        """Return the 5xx answers other than 503 (which is the expected answer while the DB is down)."""
        return [s for s in self.of() if s.status >= 500 and s.status != 503]

    def summary(self, kind: str | None = None, label: str | None = None) -> dict:
        """Return count, throughput and p50/p95/p99 (ms) of the answered requests of a kind."""
        samples = [s for s in self.of(kind, label) if s.status]
        if not samples:
            return {"count": 0}
        times = sorted(s.elapsed for s in samples)
        span = max(s.started + s.elapsed for s in samples) - min(s.started for s in samples)
        return {
            "count": len(samples),
            "per_second": len(samples) / span if span > 0 else float("nan"),
            "p50_ms": percentile(times, 50) * 1000,
            "p95_ms": percentile(times, 95) * 1000,
            "p99_ms": percentile(times, 99) * 1000,
            "max_ms": times[-1] * 1000,
        }


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(pct / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


class NoAnswer(Exception):
    """The server closed or refused the connection: the outcome of the request is unknown."""


@dataclasses.dataclass
class Reply:
    """An HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        """The path of a redirect's target (with its fragment), or ""."""
        target = self.headers.get("location", "")
        parts = urlsplit(target)
        return (
            parts.path
            + (f"?{parts.query}" if parts.query else "")
            + (f"#{parts.fragment}" if parts.fragment else "")
        )


class Browser:
    """A cookie-keeping HTTP client for one simulated person, on loopback only."""

    def __init__(self, base_url: str, stats: Stats | None = None, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        require_loopback(parts.hostname)
        self.base_url = base_url
        self.host, self.port = parts.hostname, parts.port or 80
        self.stats = stats
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def use(self, base_url: str) -> None:
        """Send the next requests to another server (the cookies go along)."""
        parts = urlsplit(base_url)
        require_loopback(parts.hostname)
        self.base_url, self.host, self.port = base_url, parts.hostname, parts.port or 80

    def request(self, method: str, path: str, data: dict | list | None = None, *, label: str = "") -> Reply:
        """Send one request (no redirect following); record it; raise NoAnswer on a dead connection."""
        headers = {"Accept-Language": "en", "User-Agent": "tamkeen-load"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        conn = http_client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http_client.HTTPException) as error:
            if self.stats is not None:
                self.stats.add(Sample(started, time.monotonic() - started, method, label or path, 0))
            raise NoAnswer(f"{method} {path}: {error!r}") from error
        finally:
            conn.close()
        elapsed = time.monotonic() - started
        for header in response.msg.get_all("Set-Cookie") or []:
            self._keep_cookie(header)
        reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
        if self.stats is not None:
            self.stats.add(
                Sample(
                    started, elapsed, method, label or path, reply.status, reply.headers.get("retry-after")
                )
            )
        return reply

    def _keep_cookie(self, header: str) -> None:
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            expired = morsel["max-age"] == "0" or "1970" in (morsel["expires"] or "")
            if expired or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str, *, label: str = "") -> Reply:
        """GET a page."""
        return self.request("GET", path, label=label)

    def post(self, path: str, data: dict | list, *, label: str = "") -> Reply:
        """POST a form (the caller supplies csrf_token)."""
        return self.request("POST", path, data, label=label)

    def csrf(self, page: Reply) -> str:
        """Return the CSRF token a page carries."""
        match = CSRF_RE.search(page.text)
        if not match:
            raise AssertionError(f"no CSRF token in a {page.status} page")
        return match.group(1)

    def sign_in(self, username: str, password: str = PASSWORD) -> Reply:
        """Sign in through the real form; return the POST's answer."""
        page = self.get("/login", label="login page")
        return self.post(
            "/login",
            {"csrf_token": self.csrf(page), "username": username, "password": password},
            label="sign in",
        )

    def sign_out(self) -> Reply:
        """Sign out through the real form."""
        page = self.get("/me/", label="me")
        return self.post("/logout", {"csrf_token": self.csrf(page)}, label="sign out")


class FormReader(HTMLParser):
    """Collect the fields of the forms of a page: {action: [(tag, type, name, value)]}."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, list[tuple[str, str, str, str]]] = {}
        self._action: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        """Note forms and their fields."""
        a = dict(attrs)
        if tag == "form":
            self._action = a.get("action") or ""
            self.forms.setdefault(self._action, [])
        elif self._action is not None and tag in {"input", "textarea", "select"} and a.get("name"):
            self.forms[self._action].append((tag, a.get("type") or "", a["name"], a.get("value") or ""))
            if tag == "select":
                self._select = a["name"]
        elif self._action is not None and tag == "option" and self._select and a.get("value"):
            self.forms[self._action].append(("option", "", self._select, a["value"]))

    def handle_endtag(self, tag):
        """Close forms and selects."""
        if tag == "form":
            self._action = None
        elif tag == "select":
            self._select = None


def form_fields(html: str, action: str) -> list[tuple[str, str, str, str]]:
    """Return the fields of the form posting to `action` on a page."""
    reader = FormReader()
    reader.feed(html)
    for key, fields in reader.forms.items():
        if urlsplit(key).path == action:
            return fields
    raise AssertionError(f"no form posting to {action}")


# Waiting ---------------------------------------------------------------------------------------


def wait_until(predicate, timeout: float, interval: float = 0.05) -> float:
    """Poll until predicate() is true; return the seconds it took, or raise TimeoutError."""
    started = time.monotonic()
    while True:
        with contextlib.suppress(NoAnswer):
            if predicate():
                return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not true after {timeout} s")
        time.sleep(interval)


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)

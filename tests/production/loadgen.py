"""A bounded load generator: simulated learners on loopback, a ledger of acknowledged writes.

Each simulated learner is a thread with its own cookies. It signs in, browses the catalog and a
course, enrols, reads lessons and marks them done, takes module quizzes (answers picked at random
from the form, so some fail and retake until the maximum), and, for learners who finished a
course beforehand, asks for the certificate and downloads its PDF. Some clicks are sent twice at
once, as an impatient person on a slow network would.

Every write the server acknowledged (the redirect that only success gives) goes into a ledger;
check_ledger() then proves each one is in the database, and check_invariants() that the
database holds no duplicates and no attempt over the maximum. The load stops by itself: at a
deadline and at a request budget, whichever comes first. It only sends to 127.0.0.1.
"""

import dataclasses
import hashlib
import random
import re
import threading
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from tests.production.harness import PASSWORD, Browser, NoAnswer, Reply, Stats, form_fields

LESSON_LINK = re.compile(r'href="(/courses/([\w-]+)/([\w-]+)/([\w-]+))"')
ATTEMPT_RE = re.compile(r"/courses/([\w-]+)/([\w-]+)/quiz/attempts/(\d+)$")
CERTIFICATE_RE = re.compile(r"^/certificates/(\d+)$")
COURSES = (
    "civil-society",
    "international-funding",
    "lobbying-international-organisations",
    "rights-mechanisms",
)
CERTIFICATE_COURSE = "civil-society"


@dataclasses.dataclass
class LoadPlan:
    """What to run: servers, accounts, and the bounds that stop the load by itself."""

    servers: list[str]
    learners: list[str]
    finished: list[str] = dataclasses.field(default_factory=list)
    duration: float = 30.0  # seconds, at most
    max_requests: int = 20_000  # requests, at most, across every learner
    think: tuple[float, float] = (0.1, 0.6)  # seconds between two clicks of one learner
    double_click: float = 0.15  # share of writes sent twice at once
    certificates: bool = True  # False when the certificates domain is not there
    seed: int = 1


class Ledger:
    """Every write the server acknowledged, in order; thread-safe."""

    def __init__(self) -> None:
        self.entries: list[tuple] = []
        self._lock = threading.Lock()

    def add(self, *entry) -> None:
        """Record an acknowledged write."""
        with self._lock:
            self.entries.append(entry)

    def count(self) -> Counter:
        """Return how many entries of each kind."""
        return Counter(entry[0] for entry in self.entries)


@dataclasses.dataclass
class Outcome:
    """What a load run did."""

    stats: Stats
    ledger: Ledger
    unexpected: list[str]
    no_answer: int
    refused: Counter
    seconds: float


class Budget:
    """A request budget and deadline shared by every learner."""

    def __init__(self, plan: LoadPlan) -> None:
        self.deadline = time.monotonic() + plan.duration
        self.left = plan.max_requests
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take one request from the budget; False once the run is over."""
        if self.stop.is_set() or time.monotonic() >= self.deadline:
            self.stop.set()
            return False
        with self._lock:
            if self.left <= 0:
                self.stop.set()
                return False
            self.left -= 1
            return True


class Over(Exception):
    """The budget or the deadline is used up."""


class Learner(threading.Thread):
    """One simulated learner."""

    def __init__(self, index: int, username: str, plan: LoadPlan, budget: Budget, run: "Run") -> None:
        super().__init__(name=f"learner-{username}", daemon=True)
        self.username = username
        self.plan = plan
        self.budget = budget
        self.run_ = run
        self.rng = random.Random(plan.seed * 1000 + index)
        self.browser = Browser(plan.servers[index % len(plan.servers)], run.stats)
        self.courses = list(COURSES)
        self.rng.shuffle(self.courses)
        self.is_finished = username in plan.finished

    # Plumbing ----------------------------------------------------------------------------------

    def _pause(self) -> None:
        if self.budget.stop.wait(self.rng.uniform(*self.plan.think)):
            raise Over

    def _send(
        self, method: str, path: str, data=None, *, label: str, browser: Browser | None = None
    ) -> Reply:
        if not self.budget.take():
            raise Over
        reply = (browser or self.browser).request(method, path, data, label=label)
        if reply.status == 503 and "retry-after" not in reply.headers:
            self.run_.note(f"503 without Retry-After: {method} {path}")
        if reply.status >= 500 and reply.status != 503:
            self.run_.note(f"{reply.status} on {method} {path}")
        return reply

    def get(self, path: str, label: str) -> Reply:
        """GET, after a pause."""
        self._pause()
        return self._send("GET", path, label=label)

    def post(self, path: str, data: dict | list, label: str, *, twice: bool = False) -> Reply:
        """POST, after a pause; `twice` sends the same form twice at once and returns one answer."""
        self._pause()
        if not twice:
            return self._send("POST", path, data, label=label)
        twin = Browser(self.browser.base_url, self.run_.stats)
        twin.cookies = dict(self.browser.cookies)
        replies: list[Reply | Exception] = [None, None]  # type: ignore[list-item]

        def second():
            try:
                replies[1] = self._send("POST", path, data, label=label, browser=twin)
            except (NoAnswer, Over) as error:
                replies[1] = error

        thread = threading.Thread(target=second)
        thread.start()
        try:
            replies[0] = self._send("POST", path, data, label=label)
        finally:
            thread.join()
        if isinstance(replies[1], Reply):
            self.run_.acknowledge_twin(replies[1])
        return replies[0]

    def page_ok(self, reply: Reply, what: str) -> bool:
        """Tell whether a page came back; note anything unexpected (503 is expected in faults)."""
        if reply.status == 200:
            return True
        if reply.status not in (503, 429):
            self.run_.note(f"{what}: {reply.status}")
        return False

    # The scenario --------------------------------------------------------------------------------

    def run(self) -> None:
        """Act until the budget or the deadline runs out."""
        try:
            while not self.budget.stop.is_set():
                try:
                    self.session()
                except NoAnswer:
                    self.run_.count_no_answer()
        except Over:
            return
        except Exception as error:  # a bug in the scenario must fail the run, not vanish
            self.run_.note(f"{self.username}: {error!r}")

    def sign_in(self) -> bool:
        """Sign in through the form (again, if the session was lost)."""
        page = self.get("/login", "login page")
        if not self.page_ok(page, "login page"):
            return False
        reply = self.post(
            "/login",
            {"csrf_token": self.browser.csrf(page), "username": self.username, "password": PASSWORD},
            "sign in",
        )
        if reply.status == 303 and reply.location.startswith("/me/"):
            return True
        if reply.status not in (503, 429):
            self.run_.note(f"sign in {self.username}: {reply.status} {reply.location}")
        return False

    def session(self) -> None:
        """One visit: sign in, then learn in one course after another."""
        if not self.sign_in():
            return
        self.page_ok(self.get("/courses/", "catalog"), "catalog")
        if self.is_finished and self.plan.certificates:
            self.certificate()
        for slug in self.courses:
            self.course(slug)
        self.page_ok(self.get("/me/", "me"), "me")

    def course(self, slug: str) -> None:
        """Enrol in a course, read its first module, mark lessons done, take the module quiz."""
        page = self.get(f"/courses/{slug}/", "course")
        if not self.page_ok(page, "course"):
            return
        if f'action="/courses/{slug}/enroll"' in page.text:
            reply = self.post(
                f"/courses/{slug}/enroll",
                {"csrf_token": self.browser.csrf(page)},
                "enrol",
                twice=self._twice(),
            )
            if reply.status == 303:
                self.run_.ledger.add("enrolment", self.username, slug)
            elif reply.status not in (503,):
                self.run_.note(f"enrol {slug}: {reply.status}")
                return
            page = self.get(f"/courses/{slug}/", "course")
            if not self.page_ok(page, "course"):
                return
        lessons = [(m, le) for (_p, s, m, le) in LESSON_LINK.findall(page.text) if s == slug and le != "quiz"]
        if not lessons:
            return
        module = lessons[0][0]
        for module_slug, lesson_slug in [x for x in lessons if x[0] == module][: self.rng.randint(1, 4)]:
            self.lesson(slug, module_slug, lesson_slug)
        self.quiz(slug, module)

    def lesson(self, slug: str, module_slug: str, lesson_slug: str) -> None:
        """Read a lesson and mark it done."""
        path = f"/courses/{slug}/{module_slug}/{lesson_slug}"
        page = self.get(path, "lesson")
        if not self.page_ok(page, "lesson"):
            return
        if f'action="{path}/done"' not in page.text:
            return  # already done
        reply = self.post(
            f"{path}/done", {"csrf_token": self.browser.csrf(page)}, "mark done", twice=self._twice()
        )
        if reply.status == 303 and reply.location != f"/courses/{slug}/":
            self.run_.ledger.add("progress", self.username, slug, lesson_slug)
        elif reply.status not in (503,):
            self.run_.note(f"mark done {path}: {reply.status} {reply.location}")

    def quiz(self, slug: str, module_slug: str) -> None:
        """Start (or resume) the module quiz, answer it at random, hand it in, read the result."""
        base = f"/courses/{slug}/{module_slug}/quiz"
        page = self.get(base, "quiz page")
        if not self.page_ok(page, "quiz page"):
            return
        if f'action="{base}/start"' not in page.text:
            self.run_.refuse("quiz closed")
            return
        reply = self.post(
            f"{base}/start", {"csrf_token": self.browser.csrf(page)}, "quiz start", twice=self._twice()
        )
        match = ATTEMPT_RE.search(reply.location) if reply.status == 303 else None
        if match is None:
            if reply.status == 303:
                self.run_.refuse("no attempts left")  # the quiz page again, with the message
            elif reply.status != 503:
                self.run_.note(f"quiz start {base}: {reply.status} {reply.location}")
            return
        number = int(match.group(3))
        self.run_.ledger.add("attempt", self.username, slug, module_slug, number, False)
        attempt_path = f"{base}/attempts/{number}"
        form = self.get(attempt_path, "attempt page")
        if form.status == 303:
            return  # handed in already (by the twin of a double click)
        if not self.page_ok(form, "attempt page"):
            return
        answers = self.answers(form.text, attempt_path)
        reply = self.post(attempt_path, answers, "attempt submit", twice=self._twice())
        if reply.status == 303 and reply.location.endswith(f"{attempt_path}/result"):
            self.run_.ledger.add("attempt", self.username, slug, module_slug, number, True)
            self.page_ok(self.get(reply.location, "result"), "result")
        elif reply.status != 503:
            self.run_.note(f"submit {attempt_path}: {reply.status} {reply.location}")

    def answers(self, html: str, action: str) -> list[tuple[str, str]]:
        """Fill an attempt form at random, as a guessing learner would."""
        fields = form_fields(html, action)
        data: list[tuple[str, str]] = []
        radios: dict[str, list[str]] = {}
        options: dict[str, list[str]] = {}
        for tag, kind, name, value in fields:
            if tag == "input" and kind == "hidden":
                data.append((name, value))
            elif tag == "input" and kind == "radio":
                radios.setdefault(name, []).append(value)
            elif tag == "input" and kind == "checkbox":
                if self.rng.random() < 0.5:
                    data.append((name, value))
            elif tag == "option":
                options.setdefault(name, []).append(value)
            elif tag == "textarea" or (tag == "input" and kind in ("text", "")):
                data.append((name, self.rng.choice(["1945", "ECOSOC", "a treaty body", "42"])))
        data += [(name, self.rng.choice(values)) for name, values in radios.items()]
        data += [(name, self.rng.choice(values)) for name, values in options.items()]
        return data

    def certificate(self) -> None:
        """Ask for the certificate of the finished course, confirm the name, download the PDF."""
        path = f"/certificates/{CERTIFICATE_COURSE}/request"
        page = self.get(path, "certificate request")
        if page.status == 303 and CERTIFICATE_RE.match(page.location):
            self.download(int(CERTIFICATE_RE.match(page.location).group(1)))
            return
        if not self.page_ok(page, "certificate request"):
            return
        name = f"Learner {self.username.rsplit('-', 1)[-1]}"
        preview = self.post(
            path,
            {"csrf_token": self.browser.csrf(page), "name": name, "locale": "en", "step": "preview"},
            "certificate preview",
        )
        if not self.page_ok(preview, "certificate preview"):
            return
        reply = self.post(
            path,
            {"csrf_token": self.browser.csrf(preview), "name": name, "locale": "en", "step": "confirm"},
            "certificate confirm",
            twice=self._twice(),
        )
        match = CERTIFICATE_RE.match(reply.location) if reply.status == 303 else None
        if match is None:
            if reply.status != 503:
                self.run_.note(f"certificate confirm: {reply.status} {reply.location}")
            return
        self.run_.ledger.add("certificate", self.username, CERTIFICATE_COURSE, int(match.group(1)))
        self.download(int(match.group(1)))

    def download(self, certificate_id: int) -> None:
        """Download a certificate's PDF and check it is one."""
        reply = self.get(f"/certificates/{certificate_id}/certificate.pdf", "certificate pdf")
        if self.page_ok(reply, "certificate pdf") and not reply.body.startswith(b"%PDF-"):
            self.run_.note(f"certificate {certificate_id}: not a PDF")

    def _twice(self) -> bool:
        return self.rng.random() < self.plan.double_click


class Run:
    """Shared state of one load run."""

    def __init__(self, plan: LoadPlan, stats: Stats | None = None) -> None:
        self.plan = plan
        self.stats = stats or Stats()
        self.ledger = Ledger()
        self.unexpected: list[str] = []
        self.refused: Counter = Counter()
        self.no_answer = 0
        self._lock = threading.Lock()

    def note(self, text: str) -> None:
        """Remember something that should not have happened."""
        with self._lock:
            self.unexpected.append(text)

    def refuse(self, why: str) -> None:
        """Count a request the server rightly refused."""
        with self._lock:
            self.refused[why] += 1

    def count_no_answer(self) -> None:
        """Count a request whose connection died (its outcome is unknown, so nothing is claimed)."""
        with self._lock:
            self.no_answer += 1

    def acknowledge_twin(self, reply: Reply) -> None:
        """The second of a double click: a 5xx is noted by _send; its success claims nothing new."""


def certificates_available(server_url: str, finished_learner: str) -> bool:
    """Tell whether a finished learner (no certificate yet) is shown the certificate request form.

    Only 200 will do: a 303 would send them away (to the course page: not allowed to ask).
    """
    browser = Browser(server_url)
    browser.sign_in(finished_learner)
    return browser.get(f"/certificates/{CERTIFICATE_COURSE}/request").status == 200


def run_load(plan: LoadPlan, stats: Stats | None = None) -> Outcome:
    """Run the learners until the plan's deadline or request budget; return what happened."""
    run = Run(plan, stats)
    budget = Budget(plan)
    everyone = list(plan.learners) + [u for u in plan.finished if u not in plan.learners]
    learners = [Learner(i, name, plan, budget, run) for i, name in enumerate(everyone)]
    started = time.monotonic()
    for learner in learners:
        learner.start()
        time.sleep(0.02)  # people do not all arrive in the same millisecond
    for learner in learners:
        learner.join(plan.duration + 120)
    budget.stop.set()
    return Outcome(
        run.stats, run.ledger, run.unexpected, run.no_answer, run.refused, time.monotonic() - started
    )


# Checks against the database -----------------------------------------------------------------------


def check_ledger(database_url: str, ledger: Ledger, storage: Path | None = None) -> list[str]:
    """Return every acknowledged write that is not in the database (an empty list: nothing lost)."""
    engine = sa.create_engine(database_url)
    missing = []
    try:
        with engine.connect() as conn:
            users = dict(conn.execute(sa.text("SELECT username, id FROM users")).all())
            courses = dict(conn.execute(sa.text("SELECT slug, id FROM courses")).all())
            enrolments = set(conn.execute(sa.text("SELECT user_id, course_id FROM enrolments")).all())
            progress = set(
                conn.execute(sa.text("SELECT user_id, course_id, lesson_slug FROM lesson_progress")).all()
            )
            quizzes = {
                (course_id, slug): quiz_id
                for course_id, slug, quiz_id in conn.execute(
                    sa.text("SELECT course_id, slug, quiz_id FROM modules WHERE quiz_id IS NOT NULL")
                )
            }
            attempts = {
                (u, q, n): submitted
                for u, q, n, submitted in conn.execute(
                    sa.text("SELECT user_id, quiz_id, number, submitted_at IS NOT NULL FROM attempts")
                )
            }
            certificates = {}
            if sa.inspect(conn).has_table("certificates"):
                certificates = {
                    row[0]: row[1:]
                    for row in conn.execute(
                        sa.text(
                            "SELECT id, user_id, course_id, issued_at, pdf_path, pdf_sha256 FROM certificates"
                        )
                    )
                }
    finally:
        engine.dispose()
    for entry in ledger.entries:
        kind, username, slug = entry[:3]
        user, course = users.get(username), courses.get(slug)
        if kind == "enrolment" and (user, course) not in enrolments:
            missing.append(f"enrolment {entry}")
        elif kind == "progress" and (user, course, entry[3]) not in progress:
            missing.append(f"progress {entry}")
        elif kind == "attempt":
            _k, _u, _s, module, number, submitted = entry
            found = attempts.get((user, quizzes.get((course, module)), number))
            if found is None or (submitted and not found):
                missing.append(f"attempt {entry}")
        elif kind == "certificate":
            row = certificates.get(entry[3])
            if row is None or row[0] != user or row[1] != course or row[2] is None:
                missing.append(f"certificate {entry}")
            elif storage is not None:
                path = storage / row[3]
                if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != row[4]:
                    missing.append(f"certificate file {entry}")
    return missing


INVARIANTS = {
    "more attempts than the quiz allows": """
        SELECT a.user_id, a.quiz_id, COUNT(*) FROM attempts a JOIN quizzes q ON q.id = a.quiz_id
        WHERE q.max_attempts > 0 AND a.phase IS NULL
        GROUP BY a.user_id, a.quiz_id, q.max_attempts HAVING COUNT(*) > q.max_attempts""",
    "two open attempts at one quiz": """
        SELECT user_id, quiz_id, COUNT(*) FROM attempts WHERE submitted_at IS NULL
        GROUP BY user_id, quiz_id, phase HAVING COUNT(*) > 1""",
    "two certificates for one learner, course and version": """
        SELECT user_id, course_id, course_version, COUNT(*) FROM certificates
        GROUP BY user_id, course_id, course_version HAVING COUNT(*) > 1""",
    "two progress rows for one learner and lesson": """
        SELECT user_id, course_id, lesson_slug, COUNT(*) FROM lesson_progress
        GROUP BY user_id, course_id, lesson_slug HAVING COUNT(*) > 1""",
    "two enrolments for one learner and course": """
        SELECT user_id, course_id, COUNT(*) FROM enrolments GROUP BY user_id, course_id HAVING COUNT(*) > 1""",
    "an issued certificate without its file": """
        SELECT id FROM certificates WHERE issued_at IS NOT NULL AND (pdf_path IS NULL OR pdf_sha256 IS NULL)""",
}


def check_invariants(database_url: str) -> list[str]:
    """Return every broken invariant (an empty list: all hold)."""
    engine = sa.create_engine(database_url)
    broken = []
    try:
        with engine.connect() as conn:
            has_certificates = sa.inspect(conn).has_table("certificates")
            for name, query in INVARIANTS.items():
                if "certificates" in query and not has_certificates:
                    continue
                rows = conn.execute(sa.text(query)).all()
                if rows:
                    broken.append(f"{name}: {rows[:5]}")
    finally:
        engine.dispose()
    return broken


def report(outcome: Outcome) -> str:
    """Return a plain-text report of a run: throughput, percentiles, errors, ledger."""
    lines = [f"ran {outcome.seconds:.1f} s; {len(outcome.stats.of())} requests"]
    for kind in ("read", "write"):
        s = outcome.stats.summary(kind)
        if s["count"]:
            lines.append(
                f"  {kind:5}: {s['count']:6d} requests, {s['per_second']:7.1f}/s, "
                f"p50 {s['p50_ms']:6.1f} ms, p95 {s['p95_ms']:6.1f} ms, p99 {s['p99_ms']:6.1f} ms, max {s['max_ms']:7.1f} ms"
            )
    labels = sorted({s.label for s in outcome.stats.of()})
    for label in labels:
        s = outcome.stats.summary(label=label)
        if s["count"]:
            lines.append(
                f"    {label:20}: {s['count']:6d}, p50 {s['p50_ms']:6.1f} ms, p95 {s['p95_ms']:6.1f} ms, p99 {s['p99_ms']:6.1f} ms"
            )
    statuses = Counter(s.status for s in outcome.stats.of())
    lines.append(f"  statuses: {dict(sorted(statuses.items()))} (0 = connection closed, no answer)")
    lines.append(
        f"  acknowledged writes: {dict(outcome.ledger.count())}; refused rightly: {dict(outcome.refused)}"
    )
    if outcome.unexpected:
        lines.append(f"  unexpected ({len(outcome.unexpected)}): {outcome.unexpected[:10]}")
    return "\n".join(lines)

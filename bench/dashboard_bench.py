"""Dashboard benchmark: the staff pages over HTTP at a million jobs (goal: p95 <= 300 ms each).

    .venv/bin/python bench/dashboard_bench.py [--jobs 1000000] [--runs 30] [--warmup 3]
        [--reseed] [--explain] [--only overview,list,...]

1. Seed (into an empty ledger, or with --reseed, which replaces its jobs): --jobs rows over the
   last 30 days in queue_jobs, written by PostgreSQL itself (INSERT ... SELECT FROM
   generate_series): mixed statuses (the unfinished ones mostly in the last day), types, queues,
   priorities, sources, uploaders and batches of 100, error text and tracebacks on the failed
   ones; three events for every fifth job; 7 days of 30 s snapshots for two queues in
   queue_metrics; four live workers. Then VACUUM ANALYZE, as autovacuum would leave the tables.
2. Serve: `manage.py migrate` and collectstatic, then queueproject.serve (daphne) with DEBUG=0.
3. Time, signed in as a staff user, each page --runs times after --warmup requests: the overview
   (1 h and 7 d charts), the jobs list's first page, a filtered page (status and type), a search
   by id prefix and by batch, the 50th page (the "Next" link followed 49 times), a job's detail,
   and the confirmation before a bulk cancel of everything a filter matches (which counts it);
   then, marked (extra), the list's other sorts, a search for text, the queues and workers pages
   and a bulk cancel of all. Prints min, p50, p95 and max in ms, PASS/FAIL against the goal, and
   what the page showed (its count, or the error it reported).
4. --explain: each page again in this process (Django's test client), its slowest queries with
   EXPLAIN (ANALYZE, BUFFERS).

PostgreSQL only: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/qp_bench, created if
missing; a ledger that holds another number of jobs is left alone unless --reseed) and REDIS_URL
(default redis://127.0.0.1:6379/9, nothing written to it by these pages). The goal is absolute,
not a ratio: on a shared machine the figures move with whatever else runs; compare runs taken
close together.
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import os
import re
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_MS = 300.0
BULK = "/dashboard/jobs/bulk/"
STAFF = ("bench-staff", "bench-staff-password-1")
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/qp_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
SEED_SECONDS = 30 * 86400

# (type, queue, share of jobs): registered types and a few that a project would add.
TYPES = [
    ("system.noop", "default", 0.30),
    ("reports.build", "default", 0.15),
    ("emails.send", "default", 0.15),
    ("uploads.import", "uploads", 0.12),
    ("members.sync", "default", 0.10),
    ("system.sleep", "default", 0.08),
    ("devices.check", "uploads", 0.06),
    ("system.fail", "default", 0.04),
]
FILTERED_TYPE = "uploads.import"


# -- environment and seed ----------------------------------------------------------------------


def setup(tmp: Path) -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        raise SystemExit("dashboard_bench needs PostgreSQL: set DATABASE_URL=postgres://...")
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "dashboard-bench-not-a-secret",
        ALLOWED_HOSTS="127.0.0.1",
        QUEUEPROJECT_VAR_DIR=str(tmp),
        STATIC_ROOT=str(tmp / "static"),
        DJANGO_SETTINGS_MODULE="queueproject.settings",
        LOG_LEVEL="WARNING",
    )
    create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)


def create_database(url: str) -> None:
    """CREATE DATABASE when the one named in `url` does not exist yet."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def seeded_jobs() -> int:
    from jobs.models import QueueJob

    return QueueJob.objects.count()


def seed(jobs: int) -> None:
    from django.db import connection

    began = time.perf_counter()
    users = ensure_users()
    with connection.cursor() as cursor:
        # CASCADE: the jobs' events and uploads go with them.
        cursor.execute("TRUNCATE queue_jobs, queue_workers, queue_metrics, queue_states CASCADE")
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(JOBS_SQL, {"n": jobs, "users": users, "span": SEED_SECONDS})
        cursor.execute(EVENTS_SQL)
        cursor.execute(METRICS_SQL)
        cursor.execute(WORKERS_SQL)
    seeded = time.perf_counter() - began
    with connection.cursor() as cursor:
        for table in ("queue_jobs", "queue_job_events", "queue_metrics", "queue_workers"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"seeded {jobs:,} jobs in {seeded:.0f} s, vacuumed in "
        f"{time.perf_counter() - began - seeded:.0f} s",
        flush=True,
    )


def ensure_users() -> list[int]:
    """The staff user the bench signs in as, and 20 uploaders who own most jobs."""
    from django.contrib.auth.models import User

    staff, _ = User.objects.get_or_create(username=STAFF[0])
    staff.is_staff = staff.is_superuser = True
    staff.set_password(STAFF[1])
    staff.save()
    ids = []
    for n in range(20):
        user, _ = User.objects.get_or_create(username=f"bench-uploader-{n:02d}")
        ids.append(user.pk)
    return ids


def _type_case(column: str) -> str:
    """SQL choosing a TYPES entry by a random number in [0, 1): its type, or with column="queue"
    its queue."""
    parts, edge = [], 0.0
    for key, queue, share in TYPES:
        edge += share
        parts.append(f"WHEN r_type < {edge:.4f} THEN '{key if column == 'type' else queue}'")
    return "CASE " + " ".join(parts[:-1]) + f" ELSE '{key if column == 'type' else queue}' END"


# Rows are created in time order (as a ledger fills); the unfinished ones sit mostly in the last
# 3% (about the last day), with a few old waiting jobs stuck behind a paused queue.
JOBS_SQL = f"""
WITH raw AS (
    SELECT i, random() AS r_status, random() AS r_type, random() AS r_misc,
           now() - make_interval(secs => %(span)s * (1 - i::float / %(n)s)) AS created
    FROM generate_series(1, %(n)s) AS i
), picked AS (
    SELECT raw.*,
        {_type_case("type")} AS job_type,
        {_type_case("queue")} AS job_queue,
        CASE
            WHEN i > %(n)s * 0.97 THEN CASE
                WHEN r_status < 0.40 THEN 'completed' WHEN r_status < 0.45 THEN 'failed'
                WHEN r_status < 0.47 THEN 'cancelled' WHEN r_status < 0.82 THEN 'waiting'
                WHEN r_status < 0.92 THEN 'scheduled' WHEN r_status < 0.96 THEN 'pending'
                ELSE 'active' END
            WHEN r_status < 0.86 THEN 'completed' WHEN r_status < 0.94 THEN 'failed'
            WHEN r_status < 0.995 THEN 'cancelled' ELSE 'waiting'
        END AS job_status
    FROM raw
)
INSERT INTO queue_jobs (
    id, type, queue, priority, status, data, result, progress_percent, progress_stage,
    progress_message, progress_processed, progress_total, attempts, max_attempts, stalled_count,
    backoff_base_seconds, backoff_max_seconds, timeout_seconds, error_message, traceback,
    scheduled_at, enqueued_at, started_at, completed_at, created_at, updated_at, source, batch_id,
    created_by_id, worker_id, run_id
)
SELECT
    md5('job-' || i)::uuid, job_type, job_queue,
    CASE WHEN r_misc < 0.6 THEN 5 WHEN r_misc < 0.7 THEN 1 WHEN r_misc < 0.8 THEN 3
         ELSE 10 END,
    job_status,
    jsonb_build_object('n', i, 'rows', (r_misc * 5000)::int),
    CASE WHEN job_status = 'completed' THEN jsonb_build_object('ok', true, 'n', i) END,
    CASE WHEN job_status = 'completed' THEN 100 WHEN job_status = 'active' THEN 40 ELSE 0 END,
    CASE WHEN job_status = 'active' THEN 'write' ELSE '' END, '',
    0, NULL,
    CASE WHEN job_status IN ('completed', 'active') THEN 1
         WHEN job_status = 'failed' THEN 3 ELSE 0 END,
    3, 0, 10, 3600, 600,
    CASE WHEN job_status = 'failed' THEN
        (ARRAY['ValueError: row ' || (i %% 977) || ': province is not one of the nine',
               'TimeoutError: attempt ran past 600 s',
               'ConnectionError: SMTP server refused the connection',
               'IntegrityError: duplicate key value violates unique constraint'])[1 + i %% 4]
         ELSE '' END,
    CASE WHEN job_status = 'failed'
         THEN repeat('  File "jobs/runner.py", line 120, in run' || chr(10), 8) ELSE '' END,
    CASE WHEN job_status = 'scheduled' THEN created + interval '1 hour' END,
    CASE WHEN job_status IN ('pending', 'scheduled') THEN NULL ELSE created END,
    CASE WHEN job_status IN ('completed', 'failed', 'active') THEN created + interval '2 s' END,
    CASE WHEN job_status IN ('completed', 'failed', 'cancelled')
         THEN created + make_interval(secs => 3 + r_misc * 60) END,
    created, created,
    CASE WHEN job_type = 'uploads.import' THEN 'upload' WHEN r_misc < 0.6 THEN 'api'
         WHEN r_misc < 0.75 THEN 'dashboard' WHEN r_misc < 0.9 THEN 'schedule' ELSE 'cli' END,
    CASE WHEN (i / 1000) %% 3 = 0 THEN 'batch-' || lpad((i / 100)::text, 6, '0') ELSE '' END,
    CASE WHEN r_misc < 0.8 THEN (%(users)s::int[])[1 + i %% 20] END,
    NULL, NULL
FROM picked
"""

EVENTS_SQL = """
INSERT INTO queue_job_events (job_id, at, kind, status, attempt, message, level, worker_name,
                              details, actor_id)
SELECT j.id, j.created_at + make_interval(secs => e.n), e.kind, e.status, e.attempt, e.message,
       '', e.worker, '{}'::jsonb, NULL
FROM queue_jobs j
CROSS JOIN (VALUES (0, 'submitted', 'pending', 0, '', ''),
                   (1, 'dispatched', 'waiting', 0, '', ''),
                   (2, 'started', 'active', 1, '', 'bench-worker-1')) AS e(n, kind, status,
                                                                          attempt, message, worker)
WHERE (('x' || substr(j.id::text, 1, 8))::bit(32)::int % 5) = 0
"""

METRICS_SQL = """
INSERT INTO queue_metrics (queue, captured_at, interval_seconds, waiting, active, scheduled,
                           workers, completed, failed, throughput_per_minute, wait_avg_ms,
                           wait_p50_ms, wait_p95_ms, run_avg_ms, run_p50_ms, run_p95_ms,
                           error_rate, oldest_waiting_seconds)
SELECT q, at, 30, (random() * 500)::int, (random() * 4)::int, (random() * 50)::int, 2,
       c, f, (c + f) * 2, 800, 500, 2400, 1200, 900, 4100, f::float / greatest(c + f, 1), 45
FROM (SELECT q, at, (random() * 40)::int AS c, (random() * 3)::int AS f
      FROM unnest(ARRAY['default', 'uploads']) AS q
      CROSS JOIN generate_series(now() - interval '7 days', now(), interval '30 s') AS at) AS s
"""

WORKERS_SQL = """
INSERT INTO queue_workers (name, hostname, pid, queues, status, last_heartbeat, jobs_completed,
                           jobs_failed, busy_seconds, started_at, stopped_at, current_job_id)
SELECT 'bench-worker-' || n, 'bench-host', 1000 + n,
       '["uploads.p01", "default.p01", "default.p05"]'::jsonb,
       CASE WHEN n <= 2 THEN 'busy' ELSE 'idle' END, now(), 1000 * n, 10 * n, 3600,
       now() - interval '1 day', NULL, NULL
FROM generate_series(1, 4) AS n
"""


# -- the server and the client -----------------------------------------------------------------


class Browser:
    """A signed-in session: cookies kept, the CSRF token read from the pages' forms."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return self._read(response, path)

    def post(self, path: str, fields: dict[str, str]) -> str:
        body = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base + path, data=body, timeout=60) as response:
            return self._read(response, path)

    def _read(self, response: Any, path: str) -> str:
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status}")
        return str(response.read().decode())

    def sign_in(self) -> None:
        token = csrf_token(self.get("/dashboard/login/"))
        fields = {"username": STAFF[0], "password": STAFF[1], "csrfmiddlewaretoken": token}
        page = self.post("/dashboard/login/", fields)
        if "Sign out" not in page and "logout" not in page:
            raise SystemExit("could not sign in as the bench's staff user")


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def next_link(page: str) -> str:
    found = re.search(r'<a href="([^"]+)" rel="next">', page)
    if found is None:
        raise SystemExit("no next page")
    return "/dashboard/jobs/" + html.unescape(found.group(1))


# -- the pages ---------------------------------------------------------------------------------


@dataclass
class Probe:
    key: str
    label: str
    request: Callable[[Browser], str]
    path: str = ""  # for --explain: the page as a GET, or the bulk POST's fields below
    post: dict[str, str] | None = None


def probes(browser: Browser, only: set[str]) -> list[Probe]:
    from jobs.models import QueueJob

    recent = QueueJob.objects.filter(batch_id__gt="").order_by("-created_at").first()
    detail = QueueJob.objects.filter(events__isnull=False, status="completed").first()
    if recent is None or detail is None:
        raise SystemExit("the seed has no batch or no job with events: run with --reseed")
    prefix = str(recent.pk).replace("-", "")[:8]
    filtered = f"/dashboard/jobs/?status=failed&type={FILTERED_TYPE}"
    deep = page_50(browser) if not only or "page50" in only else ""
    token = csrf_token(browser.get("/dashboard/jobs/?status=waiting&queue=default"))
    bulk = {
        "action": "cancel",
        "scope": "all",
        "q": "status=waiting&queue=default",
        "csrfmiddlewaretoken": token,
    }
    pages = [
        ("overview", "overview (1 h)", "/dashboard/"),
        ("overview7d", "overview (7 d)", "/dashboard/?window=7d"),
        ("list", "jobs, first page", "/dashboard/jobs/"),
        ("filtered", f"status=failed&type={FILTERED_TYPE}", filtered),
        ("idprefix", f"search id prefix {prefix}", f"/dashboard/jobs/?search={prefix}"),
        ("batch", f"search {recent.batch_id}", f"/dashboard/jobs/?search={recent.batch_id}"),
        ("page50", "jobs, page 50", deep),
        ("detail", "job detail", f"/dashboard/jobs/{detail.pk}/"),
        # Beyond the list: the other sorts the list offers, a search for text, the other
        # pages for staff.
        ("sortcompleted", "(extra) sort=-completed", "/dashboard/jobs/?sort=-completed"),
        ("sortpriority", "(extra) sort=priority", "/dashboard/jobs/?sort=priority"),
        ("searchtext", "(extra) search text 'timeout'", "/dashboard/jobs/?search=timeout"),
        ("queues", "(extra) queues", "/dashboard/queues/"),
        ("workers", "(extra) workers", "/dashboard/workers/"),
    ]
    found = [Probe(key, label, lambda b, p=path: b.get(p), path=path) for key, label, path in pages]
    confirmations = [
        ("bulk", "bulk cancel confirm, waiting in default", bulk),
        ("bulkall", "(extra) bulk cancel confirm, all jobs", dict(bulk, q="")),
    ]
    found += [
        Probe(key, label, lambda b, d=data: b.post(BULK, d), path=BULK, post=data)
        for key, label, data in confirmations
    ]
    return [probe for probe in found if not only or probe.key in only]


def page_50(browser: Browser) -> str:
    path = "/dashboard/jobs/"
    for _ in range(49):
        path = next_link(browser.get(path))
    return path


def what_it_shows(page: str) -> str:
    """The count a list or confirmation page shows, to check that it showed something."""
    error = re.search(r'class="msg-error">([^<]+)<', page)
    if error:
        return f"ERROR: {html.unescape(error.group(1))}"
    for pattern in (r"<p class=\"count\"[^>]*>([^<]+)<", r"<h1>([^<]+ jobs?\?)</h1>"):
        found = re.search(pattern, page)
        if found:
            return " ".join(found.group(1).split())
    return ""


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def time_probe(browser: Browser, probe: Probe, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        probe.request(browser)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        probe.request(browser)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def report(probe: Probe, samples: list[float], shows: str) -> bool:
    p95 = percentile(samples, 95)
    ok = p95 <= GOAL_MS
    print(
        f"{probe.label[:42]:<42} {min(samples):7.1f} {percentile(samples, 50):7.1f} "
        f"{p95:7.1f} {max(samples):7.1f}  {'PASS' if ok else 'FAIL'}  {shows}",
        flush=True,
    )
    return ok


# -- EXPLAIN -----------------------------------------------------------------------------------


def explain(found: list[Probe], *, slower_than_ms: float = 20.0) -> None:
    """Each page once more in this process; its queries over `slower_than_ms`, explained."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.get(username=STAFF[0]))
    for probe in found:
        with CaptureQueriesContext(connection) as queries:
            if probe.post is None:
                client.get(probe.path)
            else:
                client.post(probe.path, probe.post)
        total = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        print(f"\n== {probe.label}: {len(queries)} queries, {total:.0f} ms in the database")
        for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"])):
            if float(query["time"]) * 1000 < slower_than_ms:
                break
            print(f"-- {float(query['time']) * 1000:.0f} ms: {query['sql']}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                print("\n".join(row[0] for row in cursor.fetchall()))


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reseed", action="store_true", help="seed even if the count matches")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the slow queries")
    parser.add_argument("--only", default="", help="comma-separated page keys, e.g. list,bulk")
    args = parser.parse_args()
    only = {key for key in args.only.split(",") if key}
    with tempfile.TemporaryDirectory(prefix="qp-dash-bench-") as tmp:
        setup(Path(tmp))
        database = urllib.parse.urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
        found = seeded_jobs()
        if args.reseed or not found:
            seed(args.jobs)
        elif found != args.jobs:
            raise SystemExit(
                f"{database} holds {found:,} jobs, not {args.jobs:,}: --reseed replaces them"
            )
        else:
            ensure_users()
            print(f"re-using the {found:,} jobs in {database} (--reseed to seed again)")
        from bench.common import start_server

        port, daphne = start_server(Path(tmp))  # queueproject.serve, as `make run` serves
        base = f"http://127.0.0.1:{port}"
        try:
            browser = Browser(base)
            browser.sign_in()
            found = probes(browser, only)
            print(
                f"\n{args.runs} requests per page after {args.warmup} warm-up, daphne, DEBUG off, "
                f"{os.cpu_count()} cores (shared)\n"
                f"{'page':<42} {'min':>7} {'p50':>7} {'p95':>7} {'max':>7}  goal p95 <= "
                f"{GOAL_MS:.0f} ms"
            )
            passed = []
            for probe in found:
                shows = what_it_shows(probe.request(browser))
                passed.append(
                    report(probe, time_probe(browser, probe, args.runs, args.warmup), shows)
                )
            print(f"\n{sum(passed)} of {len(passed)} pages meet the goal")
        finally:
            daphne.terminate()
            daphne.wait(timeout=10)
        if args.explain:
            explain(found)


if __name__ == "__main__":
    main()

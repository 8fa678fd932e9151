"""GET /metrics: who may read it, what it says, and that Prometheus can parse every line."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from jobs import signals
from jobs.models import JobStatus, QueueJob, QueueWorker, WorkerStatus
from jobs.services import JobSpec, job_cancel, job_submit, queue_pause
from tests.conftest import Processes, wait_until
from tests.factories import make_job

TOKEN = "s3cret-metrics-token-for-tests"
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf"^({NAME})(?:\{{(.*)\}})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')
COMMENT = re.compile(rf"^# (HELP|TYPE) ({NAME}) ?(.*)$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


@dataclass
class Family:
    name: str
    kind: str = ""
    help: str = ""
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)


def _labels(text: str) -> dict[str, str]:
    labels, position = {}, 0
    while position < len(text):
        match = LABEL.match(text, position)
        assert match, f"bad labels at {text[position:]!r}"
        unescaped = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], match[2])
        labels[match[1]] = unescaped
        position = match.end()
    return labels


def _family_of(sample: str, families: dict[str, Family]) -> Family:
    for suffix in ("_bucket", "_sum", "_count", ""):
        base = sample.removesuffix(suffix) if suffix else sample
        if base in families and (suffix == "" or families[base].kind == "histogram"):
            return families[base]
    raise AssertionError(f"sample {sample} comes before its # HELP/# TYPE lines")


def parse(text: str) -> dict[str, Family]:
    """A strict reader of the text format 0.0.4: every line must parse, HELP and TYPE come
    before a family's samples, and a family's samples are not split."""
    assert text.endswith("\n")
    families: dict[str, Family] = {}
    finished: set[str] = set()
    current = ""
    for line in text.splitlines():
        comment = COMMENT.match(line)
        if comment:
            kind, name, rest = comment.groups()
            assert name not in finished, f"{name} appears twice"
            if name != current:
                finished.add(current)
                current = name
            family = families.setdefault(name, Family(name))
            assert not family.samples, f"# {kind} of {name} after its samples"
            if kind == "TYPE":
                assert rest in TYPES
                family.kind = rest
            else:
                family.help = rest
            continue
        match = SAMPLE.match(line)
        assert match, f"unparseable line {line!r}"
        family = _family_of(match[1], families)
        assert family.name == current, f"samples of {family.name} are split"
        family.samples.append((match[1], _labels(match[2] or ""), float(match[3])))
    return families


def value(families: dict[str, Family], sample: str, **labels: str) -> float:
    family = _family_of(sample, families)
    found = [v for name, lb, v in family.samples if name == sample and lb == labels]
    assert len(found) == 1, f"{sample}{labels}: {len(found)} samples"
    return found[0]


def scrape(client: Client) -> dict[str, Family]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    return parse(response.content.decode())


@pytest.fixture
def token(settings: Settings) -> None:
    settings.METRICS_TOKEN = TOKEN


# -- who may read it ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_request_is_told_how_to_authenticate(client: Client, token: None) -> None:
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "Authorization: Bearer <METRICS_TOKEN>" in response.content.decode()


@pytest.mark.django_db
def test_wrong_token_is_refused(client: Client, token: None) -> None:
    response = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert response.status_code == 401
    assert response.content.decode() == "invalid metrics token\n"


@pytest.mark.django_db
def test_right_token_reads_the_metrics(client: Client, token: None) -> None:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE queueproject_jobs gauge" in response.content.decode()


@pytest.mark.django_db
def test_staff_session_reads_the_metrics_without_a_token(staff_client: Client) -> None:
    assert staff_client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_plain_user_session_is_forbidden(client: Client, token: None) -> None:
    client.force_login(User.objects.create_user("plain", password="pw-plain-1"))
    response = client.get("/metrics")
    assert response.status_code == 403
    assert response.content.decode() == "only staff may read /metrics\n"


@pytest.mark.django_db
def test_a_token_is_refused_when_none_is_configured(client: Client, settings: Settings) -> None:
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 401
    assert "METRICS_TOKEN is not set" in response.content.decode()


# -- what it says ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_job_counts_match_the_ledger_by_queue_and_status(client: Client, token: None) -> None:
    for _ in range(3):
        make_job(status=JobStatus.COMPLETED)
    make_job(status=JobStatus.FAILED)
    make_job(queue="uploads", status=JobStatus.ACTIVE)
    metrics = scrape(client)
    assert value(metrics, "queueproject_jobs", queue="default", status="completed") == 3
    assert value(metrics, "queueproject_jobs", queue="default", status="failed") == 1
    assert value(metrics, "queueproject_jobs", queue="uploads", status="active") == 1
    assert value(metrics, "queueproject_jobs", queue="uploads", status="waiting") == 0
    assert len(metrics["queueproject_jobs"].samples) == 2 * len(JobStatus.values)


@pytest.mark.django_db
def test_paused_queues_and_suspended_processing_are_reported(client: Client, token: None) -> None:
    queue_pause(queue="uploads")
    metrics = scrape(client)
    assert value(metrics, "queueproject_queue_paused", queue="uploads") == 1
    assert value(metrics, "queueproject_queue_paused", queue="default") == 0
    assert value(metrics, "queueproject_processing_suspended") == 0
    queue_pause(queue="default")
    assert value(scrape(client), "queueproject_processing_suspended") == 1


@pytest.mark.django_db
def test_oldest_waiting_job_age_is_reported_per_queue(client: Client, token: None) -> None:
    now = timezone.now()
    make_job(status=JobStatus.WAITING, enqueued_at=now - dt.timedelta(minutes=5))
    make_job(status=JobStatus.WAITING, enqueued_at=now - dt.timedelta(minutes=1))
    make_job(status=JobStatus.ACTIVE, enqueued_at=now - dt.timedelta(hours=1))  # not waiting
    metrics = scrape(client)
    age = value(metrics, "queueproject_queue_oldest_waiting_seconds", queue="default")
    assert 300 <= age < 3600
    assert value(metrics, "queueproject_queue_oldest_waiting_seconds", queue="uploads") == 0


@pytest.mark.django_db
def test_workers_are_counted_by_status_and_by_queue(client: Client, token: None) -> None:
    now = timezone.now()
    for name, status in [("a", WorkerStatus.BUSY), ("b", WorkerStatus.IDLE), ("c", "dead")]:
        QueueWorker.objects.create(
            name=name,
            hostname="h",
            pid=1,
            queues=["uploads.p01", "default.p01"] if name != "b" else ["default.p01"],
            status=status,
            last_heartbeat=now,
            started_at=now,
        )
    metrics = scrape(client)
    assert value(metrics, "queueproject_workers", status="busy") == 1
    assert value(metrics, "queueproject_workers", status="dead") == 1
    assert value(metrics, "queueproject_workers", status="suspended") == 0
    assert value(metrics, "queueproject_queue_workers", queue="default") == 2
    assert value(metrics, "queueproject_queue_workers", queue="uploads") == 1


@pytest.mark.django_db
def test_label_values_are_escaped(client: Client, token: None) -> None:
    odd = 'a"b\\c\nd'
    make_job(queue=odd, status=JobStatus.PENDING)
    metrics = scrape(client)
    assert value(metrics, "queueproject_jobs", queue=odd, status="pending") == 1


@pytest.mark.django_db
def test_every_family_has_help_and_type_and_histograms_are_cumulative(
    client: Client, token: None
) -> None:
    metrics = scrape(client)
    assert all(f.kind and f.help for f in metrics.values())
    assert metrics["queueproject_job_wait_seconds"].kind == "histogram"
    assert metrics["queueproject_job_run_seconds"].kind == "histogram"
    assert value(metrics, "queueproject_redis_up") == 1
    les = [
        lb["le"]
        for name, lb, _ in metrics["queueproject_job_wait_seconds"].samples
        if name.endswith("_bucket") and lb["queue"] == "default"
    ]
    assert les[-1] == "+Inf"
    assert [float(le) for le in les] == sorted(float(le) for le in les)


@pytest.mark.django_db
def test_redis_outage_neither_fails_a_job_nor_the_scrape(
    client: Client, token: None, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    job = make_job(
        status=JobStatus.COMPLETED, started_at=timezone.now(), completed_at=timezone.now()
    )
    with caplog.at_level(logging.WARNING, logger="jobs.prometheus"):
        signals.job_completed.send(sender=QueueJob, job=job)  # plain send: a raise would surface
    assert "could not record queueproject_job_run_seconds" in caplog.text
    metrics = scrape(client)
    assert value(metrics, "queueproject_redis_up") == 0
    assert value(metrics, "queueproject_jobs", queue="default", status="completed") == 1
    assert "queueproject_job_run_seconds" not in metrics


# -- histograms after real work ------------------------------------------------------------------


def histogram_count(metrics: dict[str, Family], name: str, **labels: str) -> float:
    count = value(metrics, f"{name}_count", **labels)
    assert value(metrics, f"{name}_bucket", **labels, le="+Inf") == count
    buckets = [
        v
        for sample, lb, v in metrics[name].samples
        if sample.endswith("_bucket") and {k: v for k, v in lb.items() if k != "le"} == labels
    ]
    assert buckets == sorted(buckets), "buckets must be cumulative"
    return count


def observed(client: Client, name: str, **labels: str) -> float:
    """How many observations a histogram holds so far (0 before its first)."""
    family = scrape(client).get(name)
    samples = family.samples if family else []
    found = [v for sample, lb, v in samples if sample == f"{name}_count" and lb == labels]
    return found[0] if found else 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_histograms_count_every_attempt_a_real_worker_runs(
    client: Client, token: None, processes: Processes
) -> None:
    processes.worker()
    processes.maintenance()  # dispatches the retry when its backoff ends
    jobs = [job_submit(spec=JobSpec(type="system.noop")) for _ in range(3)]
    jobs.append(job_submit(spec=JobSpec(type="system.fail", data={"times": 1})))
    done = lambda: QueueJob.objects.filter(status=JobStatus.COMPLETED).count() == 4  # noqa: E731
    wait_until(done, 60, what=f"four completed jobs\n{processes.logs()}")
    wait, run = "queueproject_job_wait_seconds", "queueproject_job_run_seconds"
    # A worker observes the run just after committing the outcome: let the last one land.
    landed = lambda n: observed(client, run, queue="default", outcome="completed") == n  # noqa: E731
    wait_until(lambda: landed(4), 10)
    metrics = scrape(client)
    assert histogram_count(metrics, wait, queue="default") == 5  # the retried job started twice
    assert histogram_count(metrics, run, queue="default", outcome="completed") == 4
    assert histogram_count(metrics, run, queue="default", outcome="failed") == 1
    assert value(metrics, f"{run}_sum", queue="default", outcome="completed") >= 0

    job_submit(spec=JobSpec(type="system.noop"))
    wait_until(lambda: QueueJob.objects.filter(status=JobStatus.COMPLETED).count() == 5, 30)
    wait_until(lambda: landed(5), 10)
    later = scrape(client)
    assert histogram_count(later, wait, queue="default") == 6
    assert histogram_count(later, run, queue="default", outcome="completed") == 5


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_cancelling_a_running_job_records_its_run_time(
    client: Client, token: None, processes: Processes
) -> None:
    processes.worker()
    running = job_submit(spec=JobSpec(type="system.sleep", data={"seconds": 30}))
    wait_until(lambda: QueueJob.objects.get(pk=running.pk).status == JobStatus.ACTIVE, 30)
    # The worker observes the wait just after committing the claim: let it land before reading.
    wait_until(lambda: observed(client, "queueproject_job_wait_seconds", queue="default") == 1, 10)
    waiting = job_submit(spec=JobSpec(type="system.sleep", data={"seconds": 30}))
    job_cancel(job=waiting)  # never ran: no run time
    job_cancel(job=running)
    metrics = scrape(client)
    run = "queueproject_job_run_seconds"
    assert histogram_count(metrics, run, queue="default", outcome="cancelled") == 1
    assert histogram_count(metrics, "queueproject_job_wait_seconds", queue="default") == 1

"""Examples for the OpenAPI schema: real answers of this API, shortened."""

from __future__ import annotations

from typing import Any

JOB_ID = "3f8e1c52-7a0b-4d2e-9c61-5b8f0e2a9d14"

JOB: dict[str, Any] = {
    "id": JOB_ID,
    "type": "system.sleep",
    "queue": "default",
    "priority": 3,
    "status": "waiting",
    "progress": {"percent": 0.0, "stage": "", "message": "", "processed": 0, "total": None},
    "attempts": 0,
    "max_attempts": 3,
    "data": {"seconds": 5},
    "result": None,
    "error_message": "",
    "batch_id": "",
    "created_by": "admin",
    "created_at": "2025-05-01T08:30:00.123Z",
    "scheduled_at": None,
    "started_at": None,
    "completed_at": None,
}
CANCELLED_JOB = {**JOB, "status": "cancelled", "completed_at": "2025-05-01T08:30:02.456Z"}
SUBMISSION = {"type": "system.sleep", "data": {"seconds": 5}, "priority": 3}

COUNTS = {
    "waiting": 12,
    "active": 2,
    "completed": 340,
    "failed": 3,
    "delayed": 1,
    "paused": 0,
    "cancelled": 4,
    "total": 362,
}
STATS = {
    **COUNTS,
    "queues": {
        "default": {**COUNTS, "is_paused": False},
        "uploads": {**dict.fromkeys(COUNTS, 0), "is_paused": False},
    },
}
WORKER = {
    "name": "worker-1",
    "hostname": "app-1",
    "pid": 4242,
    "queues": ["uploads", "default"],
    "status": "busy",
    "last_heartbeat": "2025-05-01T08:31:00.000Z",
    "current_job": JOB_ID,
    "jobs_completed": 120,
    "jobs_failed": 2,
    "busy_seconds": 812.5,
    "started_at": "2025-05-01T06:00:00.000Z",
}
METRIC = {
    "queue": "default",
    "captured_at": "2025-05-01T08:30:00.000Z",
    "interval_seconds": 30.0,
    "waiting": 12,
    "active": 2,
    "scheduled": 1,
    "workers": 2,
    "completed": 40,
    "failed": 1,
    "throughput_per_minute": 80.0,
    "wait_avg_ms": 850.0,
    "wait_p50_ms": 420.0,
    "wait_p95_ms": 3100.0,
    "run_avg_ms": 1200.0,
    "run_p50_ms": 900.0,
    "run_p95_ms": 4000.0,
    "error_rate": 0.024,
    "oldest_waiting_seconds": 14.2,
}

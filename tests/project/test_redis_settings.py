from __future__ import annotations

from queueproject.redis_settings import redis_url_with_db, worker_queue_names


def test_tcp_url_gets_the_test_database_number() -> None:
    assert redis_url_with_db("redis://127.0.0.1:6379/0", 13) == "redis://127.0.0.1:6379/13"
    assert redis_url_with_db("redis://:pw@host:6379", 4) == "redis://:pw@host:6379/4"


def test_unix_socket_url_gets_the_test_database_number() -> None:
    assert redis_url_with_db("unix:///tmp/r.sock?db=0", 13) == "unix:///tmp/r.sock?db=13"


def test_workers_listen_highest_priority_first_across_queues() -> None:
    names = worker_queue_names(["uploads", "default"])
    assert names[:4] == ["uploads.p01", "default.p01", "uploads.p02", "default.p02"]
    assert names[-1] == "default.p10"
    assert len(names) == 20

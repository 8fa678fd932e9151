"""The README tells a new user what they need, in words that describe the behaviour."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_dashboard_address_is_next_to_the_two_commands() -> None:
    assert "http://127.0.0.1:8000/dashboard/" in section("The two commands")


def test_the_api_examples_start_from_base_and_name_no_port() -> None:
    api = section("HTTP API")
    commands = "\n".join(re.findall(r"```sh\n(.*?)```", api, flags=re.DOTALL))
    assert commands.count("127.0.0.1:8000") == 1
    assert "BASE=http://127.0.0.1:8000\n" in commands
    assert "API=$BASE/api/v1/queue" in commands
    assert "BULK=$BASE/api/v1/bulk-upload" in commands


def test_endpoints_are_described_by_what_they_do_not_by_seed_numbers() -> None:
    assert not re.search(r"\bseeds?\b", README, flags=re.IGNORECASE)


def test_confirming_a_dry_run_is_said_to_create_a_new_job_and_how_they_link() -> None:
    api = section("HTTP API")
    assert "Confirming a dry run creates a new upload and job" in api
    assert "`dry_run_job_id` naming the dry run" in api
    assert "its status (now\nwith `confirmed_job_id`)" in api


def test_django_rq_is_explained_as_rqs_view_of_the_dispatch_channel() -> None:
    api = section("HTTP API")
    assert "`/django-rq/`: RQ's own view of the dispatch channel, restricted to superusers" in api


def test_clear_completed_says_what_it_deletes_and_answers() -> None:
    row = next(
        line for line in README.splitlines() if line.startswith("| `DELETE /api/v1/queue/clear")
    )
    assert "without `older_than_hours` (or with 0) every completed job" in row
    assert '{"deleted": <count removed>}' in row

"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium) against a
real daphne serving the test database. Every page visited is saved as a screenshot under
var/screenshots/ (the README's pictures come from there)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from tests.conftest import ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "var" / "screenshots"
PASSWORD = "pw-e2e-secret-1"
CHROMIUM_ARGS = [
    "--no-sandbox",  # everything here runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium(django_db_setup) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """One browser per test module. Not per session: while Playwright runs, its event loop is
    marked as running in this thread, which the async tests that follow cannot share."""
    if not CHROMIUM.exists():
        if os.environ.get("E2E_REQUIRED"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop marked as running in this thread between calls;
    # Django would take every ORM call of the test for one made from async code. The test's own
    # ORM calls are plain synchronous ones (pytest-playwright documents the same setting).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def browser_page(chromium) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) with a desktop-sized page."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def person(name: str, *groups: str, **flags: Any) -> User:
    """A user who signs in with PASSWORD, in the given groups."""
    user = User.objects.create_user(name, password=PASSWORD, **flags)
    for group in groups:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/dashboard/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()


def person_signed_in(page: Any, url: str, name: str, *groups: str, **flags: Any) -> User:
    """A new person, signed in on `page`."""
    user = person(name, *groups, **flags)
    sign_in(page, url, name)
    return user

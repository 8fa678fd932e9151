from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.uploads.helpers import import_here
from uploads.models import Upload


@pytest.fixture(autouse=True)
def _media_under_tmp(media_root: Path) -> None:
    """Every upload test keeps its files under its own tmp_path."""


@pytest.fixture
def run_import() -> Callable[..., Upload]:
    """Upload a file through the service and run its job here (RQ's in-horse path)."""
    return import_here

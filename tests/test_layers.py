"""The layers run one way: queueproject at the bottom, jobs on it, uploads on jobs, dashboard on
top; and an app's core never imports an API module. Every import of every module is read,
those inside functions too, so a lazy import cannot hide a crossing."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["queueproject", "jobs", "uploads", "dashboard"]  # bottom to top
# Wiring that names the apps by design: the URL and WebSocket routes of the whole project.
WIRING = {"queueproject/urls.py", "queueproject/routing.py"}


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: str, source: str) -> Iterator[tuple[int, str, str]]:
    """(line, imported module, the statement as written) for each import in the source."""
    package = module_name(path).split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    for node in ast.walk(ast.parse(source, path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = ", ".join(alias.name for alias in node.names)
            statement = f"from {'.' * node.level}{node.module or ''} import {names}"
            for alias in node.names:
                # `from jobs import api` imports the module jobs.api
                yield node.lineno, f"{base}.{alias.name}", statement


def crossing(path: str, target: str) -> str | None:
    """Why importing `target` from the file at `path` goes against the layers, or None."""
    layer, top = path.split("/")[0], target.split(".")[0]
    if top not in LAYERS or layer not in LAYERS:
        return None
    if LAYERS.index(top) > LAYERS.index(layer) and path not in WIRING:
        return f"{layer} sits below {top}"
    in_api = "api" in path.split("/")[1:-1]
    if layer in ("jobs", "uploads") and not in_api and "api" in target.split(".")[1:]:
        return "a core module imports an API module"
    return None


def crossings(path: str, source: str) -> list[str]:
    found = []
    for line, target, statement in imported(path, source):
        why = crossing(path, target)
        if why:
            found.append(f"{path}:{line}: {statement} ({why})")
    return sorted(set(found))


def modules() -> list[Path]:
    return sorted(file for layer in LAYERS for file in (ROOT / layer).rglob("*.py"))


def test_no_module_imports_from_a_layer_above_it_or_a_core_module_from_an_api() -> None:
    files = modules()
    assert len(files) > 50, "the walk found too few modules: is ROOT right?"
    found = []
    for file in files:
        path = file.relative_to(ROOT).as_posix()
        found += crossings(path, file.read_text(encoding="utf-8"))
    assert not found, "imports against the layers:\n" + "\n".join(found)


def test_an_import_inside_a_function_is_a_crossing_too() -> None:
    source = "def handler():\n    from uploads.readers import FileRefused\n"
    assert crossings("jobs/api/envelope.py", source) == [
        "jobs/api/envelope.py:2: from uploads.readers import FileRefused (jobs sits below uploads)"
    ]


def test_a_core_module_may_not_import_an_api_module_but_an_api_module_may() -> None:
    source = "from queueproject import api\nfrom jobs.api.serializers import JobSerializer\n"
    assert crossings("jobs/live.py", source) == [
        "jobs/live.py:1: from queueproject import api (a core module imports an API module)",
        "jobs/live.py:2: from jobs.api.serializers import JobSerializer "
        "(a core module imports an API module)",
    ]
    assert crossings("uploads/api/views.py", source) == []


def test_relative_imports_are_read_as_the_module_they_name() -> None:
    assert crossings("queueproject/health.py", "from ..jobs import models\n") == [
        "queueproject/health.py:1: from ..jobs import models (queueproject sits below jobs)"
    ]
    assert crossings("queueproject/urls.py", "from jobs.views import metrics\n") == []

"""Text that a database can store: PostgreSQL refuses NUL in text and JSON, and no database
driver encodes a lone surrogate as UTF-8. Input carrying either is refused where it enters (with
the field named); text the project writes itself (error messages, tracebacks) is sanitised."""

from __future__ import annotations

import re
from typing import Any

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 64  # deeper JSON is refused: serialisers and the database recurse on it


def sanitise(text: str) -> str:
    """`text` with NUL and lone surrogates shown as escapes: storable, and still readable."""
    return UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def text_problem(value: Any, path: str) -> str | None:
    """What makes a JSON value unstorable, naming where (`data.rows[2].name: ...`), or None."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{where}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, str) and UNSTORABLE.search(item):
            return f"{where}: {unstorable_why(item)}"
        if isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and UNSTORABLE.search(key):
                    return f"{where}: the key {sanitise(key)!r} {unstorable_why(key)}"
                stack.append((inner, f"{where}.{key}", depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{i}]", depth + 1) for i, inner in enumerate(item))
    return None


def unstorable_why(text: str) -> str:
    """Why a text that UNSTORABLE matches cannot be stored."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    return "contains a lone surrogate (\\ud800-\\udfff), which is not valid Unicode"

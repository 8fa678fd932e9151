"""The import-type registry: one class per data type (see base.ImportType)."""

from __future__ import annotations

from uploads.importers.base import ImportType
from uploads.importers.devices import DeviceImport
from uploads.importers.members import MemberImport

IMPORT_TYPES: dict[str, type[ImportType]] = {t.key: t for t in (MemberImport, DeviceImport)}


class UnknownImportType(LookupError):
    pass


def get_import_type(key: str) -> type[ImportType]:
    try:
        return IMPORT_TYPES[key]
    except KeyError:
        raise UnknownImportType(
            f"unknown import type {key!r} (choose from {', '.join(IMPORT_TYPES)})"
        ) from None

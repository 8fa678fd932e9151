"""The decision of what a batch's rows come to, by mode: a pure function, no database."""

from __future__ import annotations

from typing import Any

import pytest

from uploads.importers import DeviceImport, MemberImport
from uploads.importers.base import ParsedRow, RowProblem
from uploads.importing.deciding import Decision, Target, batch_decide
from uploads.models import ImportMode

DEVICES = Target(key="imei", names=("imei", "brand", "status"), blank=("", "", ""))
STORED = {
    "111": ("111", "Nokia", "active"),
    "222": ("222", "Samsung", "active"),
}


def row(number: int, imei: str, brand: str | None = None, status: str = "active") -> ParsedRow:
    values: dict[str, Any] = {"imei": imei, "status": status, "_raw": {"imei": imei}}
    if brand is not None:
        values["brand"] = brand
    return ParsedRow(number, values)


def batch() -> list[ParsedRow]:
    """A new key (333), a stored key with a change (222) and one without (111)."""
    return [row(2, "333", "Apple"), row(3, "222", "Samsung", "lost"), row(4, "111", "Nokia")]


def decide(rows: list[ParsedRow], mode: str) -> Decision:
    return batch_decide(rows, stored=STORED, mode=mode, target=DEVICES)


def summary(decision: Decision) -> dict[str, Any]:
    return {
        "create": [values["imei"] for values in decision.create],
        "update": [values["imei"] for values in decision.update],
        "unchanged": decision.unchanged,
        "refused": [(r.row_number, [p.code for p in r.problems]) for r in decision.refused],
    }


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (
            ImportMode.UPSERT,
            {"create": ["333"], "update": ["222"], "unchanged": 1, "refused": []},
        ),
        (
            ImportMode.CREATE_ONLY,
            {
                "create": ["333"],
                "update": [],
                "unchanged": 0,
                "refused": [(3, ["exists"]), (4, ["exists"])],
            },
        ),
        (
            ImportMode.UPDATE_ONLY,
            {"create": [], "update": ["222"], "unchanged": 1, "refused": [(2, ["not_found"])]},
        ),
    ],
)
def test_each_mode_sorts_new_changed_and_same_rows(mode: str, expected: dict[str, Any]) -> None:
    assert summary(decide(batch(), mode)) == expected


def test_create_only_says_the_key_already_exists() -> None:
    (refused,) = decide([row(7, "111", "Nokia")], ImportMode.CREATE_ONLY).refused
    assert refused.problems == [
        RowProblem("imei", "exists", "imei 111 already exists (mode create_only)")
    ]


def test_update_only_says_the_key_does_not_exist() -> None:
    (refused,) = decide([row(7, "999")], ImportMode.UPDATE_ONLY).refused
    assert refused.problems == [
        RowProblem("imei", "not_found", "imei 999 does not exist (mode update_only)")
    ]


def test_a_refused_row_is_a_copy_and_the_incoming_row_is_left_as_it_was() -> None:
    incoming = row(7, "999")
    (refused,) = decide([incoming], ImportMode.UPDATE_ONLY).refused
    assert incoming.problems == []
    assert (refused.row_number, refused.values) == (7, incoming.values)


def test_a_value_the_file_left_empty_equals_what_the_database_stores_for_it() -> None:
    decision = decide([row(2, "111", brand=None)], ImportMode.UPSERT)
    assert summary(decision)["update"] == ["111"]  # Nokia stored, nothing given: a change
    stored_blank = {"111": ("111", "", "active")}
    decision = batch_decide(
        [row(2, "111", brand=None)], stored=stored_blank, mode=ImportMode.UPSERT, target=DEVICES
    )
    assert (decision.unchanged, decision.update) == (1, [])


def test_the_values_to_write_are_the_incoming_rows_values() -> None:
    rows = batch()
    decision = decide(rows, ImportMode.UPSERT)
    assert decision.create == [rows[0].values]
    assert decision.update == [rows[1].values]


def test_an_empty_batch_comes_to_nothing() -> None:
    for mode in ImportMode.values:
        assert decide([], mode) == Decision()


def test_a_target_knows_the_blank_of_each_column_from_its_model() -> None:
    members = Target.of(MemberImport)
    blanks = dict(zip(members.names, members.blank, strict=True))
    assert members.key == "id_number"
    assert (blanks["email"], blanks["date_of_birth"]) == ("", None)
    assert Target.of(DeviceImport) == Target(
        key="imei", names=("imei", "brand", "model", "status"), blank=("", "", "", "")
    )

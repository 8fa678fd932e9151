from __future__ import annotations

from typing import Any

from uploads import validators as v
from uploads.importers.base import Column, ImportType, RowProblem
from uploads.models import Member


class MemberImport(ImportType):
    key = "members"
    label = "Members"
    model = Member
    natural_key = "id_number"
    columns = [
        Column(
            "id_number",
            v.id_number,
            required=True,
            aliases=("id", "id no", "identity number", "sa id", "rsa id number"),
            example="8001015009087",
        ),
        Column(
            "first_name",
            v.bounded_text(100, "first name"),
            required=True,
            aliases=("name", "first names", "given name", "firstname"),
            example="Thabo",
        ),
        Column(
            "last_name",
            v.bounded_text(100, "last name"),
            required=True,
            aliases=("surname", "family name", "lastname"),
            example="Mokoena",
        ),
        Column(
            "email",
            v.email,
            aliases=("e-mail", "email address", "mail"),
            example="thabo@example.org",
        ),
        Column(
            "cell_number",
            v.cell_number,
            aliases=("cell", "mobile", "cellphone", "phone", "mobile number", "cell no"),
            example="082 123 4567",
        ),
        Column("province", v.province, required=True, example="Gauteng"),
        Column(
            "municipality",
            v.bounded_text(100, "municipality"),
            aliases=("local municipality", "metro"),
            example="City of Johannesburg",
        ),
        Column(
            "ward",
            v.bounded_text(20, "ward"),
            aliases=("ward number", "ward no"),
            example="79800001",
        ),
        Column(
            "date_of_birth",
            v.date,
            aliases=("dob", "birth date", "birthdate", "born"),
            example="1980-01-01",
        ),
    ]

    @classmethod
    def check_row(cls, values: dict[str, Any]) -> list[RowProblem]:
        born = v.id_birth_date(values["id_number"])
        given = values.get("date_of_birth")
        if given is not None and born is not None and given != born:
            return [
                RowProblem(
                    "date_of_birth",
                    "mismatch",
                    f"date of birth {given.isoformat()} does not match the ID "
                    f"number's {born.isoformat()}",
                )
            ]
        if given is None:
            values["date_of_birth"] = born
        return []

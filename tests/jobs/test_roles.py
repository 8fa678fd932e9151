from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from jobs import roles

pytestmark = pytest.mark.django_db


def test_migrate_creates_the_role_groups() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


@pytest.mark.parametrize(
    ("groups", "flags", "ceiling"),
    [
        (["super_admin"], {}, 1),
        (["national_admin", "municipality_admin"], {}, 3),
        (["province_admin"], {}, 5),
        (["municipality_admin"], {}, 10),
        ([], {}, 10),
        ([], {"is_staff": True}, 5),
        ([], {"is_superuser": True}, 1),
    ],
)
def test_priority_ceiling_follows_the_best_role(groups, flags, ceiling) -> None:
    user = User.objects.create_user("u", **flags)
    user.groups.set(Group.objects.filter(name__in=groups))
    assert roles.priority_ceiling(user) == ceiling

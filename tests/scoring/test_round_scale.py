"""A province's or a nation's group in one round: thousands of units in the statements that open it."""

import pytest

from accounts.models import Unit
from scoring.services import round_add_units, round_open

pytestmark = pytest.mark.django_db

SCHOOLS = 5_000  # × 14 columns of an assessment: more than the 65,535 parameters of one PostgreSQL statement


def test_a_round_opens_for_a_group_too_large_for_one_statement(so_set, cast):
    """PostgreSQL binds the parameters on the server (config/settings.py), where one statement takes at
    most 65,535 of them. Django 5.2 inserts plain rows through UNNEST, one array per column, so the
    assessments of a large group still go in one INSERT; this pins it for the day a field or a Django
    version would fall back to a placeholder per value."""
    group = so_set.group
    Unit.objects.bulk_create([Unit(code=f"T{n:05d}", name=f"Trường THPT số {n}", group=group) for n in range(SCHOOLS)])
    units = Unit.objects.filter(group=group, is_active=True).count()
    round_ = round_open(year=2026, group=group, criteria_set=so_set, user=cast["admin"])
    assert round_.assessments.count() == units > SCHOOLS
    assert not round_.assessments.filter(self_max=0).exists()  # every new assessment got the set's maxima

    Unit.objects.bulk_create([Unit(code=f"M{n:05d}", name=f"Trường mới {n}", group=group) for n in range(3)])
    assert len(round_add_units(round_=round_)) == 3  # only the units that have none yet
    assert round_.assessments.count() == units + 3

"""Load-test data on top of `manage.py load_demo`; run with `manage.py shell < loadtest/setup_data.py`.

Adds LOADTEST_UNITS departments (group SO, codes LT01…) to this year's SO round, fills their
self-assessment through the same service as the pages (every non-survey leaf, left in draft), and gives
each one a unit-staff account `lt.canbo01`… with the demo password, so that the load test's users
never edit the same assessment. run.sh runs it on a freshly created database.
"""

import os
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.demo_scores import NOTE, _input
from accounts.management.commands.load_demo import DEMO_PASSWORD
from accounts.models import Unit, UnitGroup, User
from scoring import engine
from scoring.models import Assessment, Round, Stage
from scoring.services import LeafEntry, round_add_units, values_save

count = int(os.environ.get("LOADTEST_UNITS", "50"))
group = UnitGroup.objects.get(code="SO")
round_ = Round.objects.filter(group=group).order_by("-year").first()
leaves = [c for c in round_.criteria_set.criteria.exclude(method="").order_by("position") if c.method != engine.Method.SURVEY]
# One hash for every account (same password): hashing 50 times would take a minute for nothing.
password = make_password(DEMO_PASSWORD)

with transaction.atomic():
    for i in range(1, count + 1):
        code = f"LT{i:02d}"
        unit, _ = Unit.objects.update_or_create(code=code, defaults={"name": f"Sở thử tải {i:02d}", "group": group, "is_active": True})
        user, _ = User.objects.get_or_create(username=f"lt.canbo{i:02d}")
        user.full_name = f"Cán bộ thử tải {i:02d}"
        user.unit = unit
        user.is_unit_staff = True
        user.email = f"lt.canbo{i:02d}@example.gov.vn"
        user.password = password
        user.save()
    round_add_units(round_=round_)

filled = 0
for assessment in round_.assessments.select_related("unit").filter(unit__code__startswith="LT").order_by("unit__code"):
    if assessment.state != Assessment.State.DRAFT:
        raise SystemExit(f"{assessment.unit.code}: not in draft ({assessment.state})")
    if assessment.values.exists():
        continue
    rng = random.Random(f"loadtest-{assessment.unit.code}")
    entries = [LeafEntry(c, _input(c, rng), note=NOTE) for c in leaves]
    values_save(assessment=assessment, stage=Stage.SELF, entries=entries, user=None)
    filled += 1

print(
    f"loadtest: round {round_.pk} ({round_.year}, SO), {round_.assessments.count()} assessments, "
    f"{count} load-test units and accounts, {filled} filled, {len(leaves)} leaves each"
)

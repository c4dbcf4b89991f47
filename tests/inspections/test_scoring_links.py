"""Inspections feed the yearly round: findings beside their criterion, figures pre-filled from the
inspecting unit's own records."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from inspections.models import Finding, InspectionPlan, RemedialAction, Visit
from inspections.scoring_links import inspected_units, issues_resolved

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(visit_a, cast):
    f = Finding.objects.create(visit=visit_a, kind="shortcoming", text="Chậm ban hành kế hoạch CCHC năm", criterion_code="1.1.1", created_by=cast["inspector"])
    RemedialAction.objects.create(finding=f, text="Ban hành kế hoạch CCHC đúng thời hạn", responsible_unit=visit_a.unit, deadline=dt.date(2026, 1, 10))
    return f


def test_findings_appear_beside_their_criterion_in_self_assessment_and_appraisal(login, cast, assessment_a, finding):
    html = login(cast["staff_a"]).get(reverse("scoring:assessment", args=[assessment_a.pk])).content.decode()
    box = html[html.index('id="leaf-1.1.1"') : html.index('id="leaf-1.1.2"')]
    assert "Chậm ban hành kế hoạch CCHC năm" in box and "Ban hành kế hoạch CCHC đúng thời hạn" in box
    assert "Chưa khắc phục" in box and "quá hạn" in box
    assessment_a.state = "submitted"
    assessment_a.save()
    html = login(cast["appraiser"]).get(reverse("scoring:appraisal", args=[assessment_a.pk])).content.decode()
    assert "Chậm ban hành kế hoạch CCHC năm" in html


def test_another_units_findings_do_not_show(login, cast, assessment_b, finding):
    html = login(cast["staff_b"]).get(reverse("scoring:assessment", args=[assessment_b.pk])).content.decode()
    assert "Chậm ban hành kế hoạch" not in html


@pytest.fixture
def own_plan(units, cast, groups):
    """SGDDT inspects its schools: 1 of its 2 schools visited; 2 requests, 1 closed."""
    from accounts.models import Unit

    Unit.objects.create(code="THPT_B", name="Trường THPT B", group=groups["THPT"], parent=units["a"])
    plan = InspectionPlan.objects.create(year=2026, organizer=units["a"], title="Kiểm tra CCHC các trường năm 2026")
    visit = Visit.objects.create(plan=plan, unit=units["school"], status=Visit.Status.CONCLUDED)
    f = Finding.objects.create(visit=visit, kind="shortcoming", text="Chưa niêm yết TTHC")
    RemedialAction.objects.create(finding=f, text="Niêm yết đủ TTHC", responsible_unit=units["school"], status="closed")
    RemedialAction.objects.create(finding=f, text="Cập nhật cổng thông tin", responsible_unit=units["school"])
    return plan


def test_coverage_and_resolution_from_the_units_own_inspections(units, own_plan):
    covered = inspected_units(units["a"], 2026)
    assert (covered.numerator, covered.denominator) == (Decimal(1), Decimal(2))
    resolved = issues_resolved(units["a"], 2026)
    assert (resolved.numerator, resolved.denominator) == (Decimal(1), Decimal(2))
    assert inspected_units(units["b"], 2026) is None  # no subordinate units
    assert issues_resolved(units["a"], 2025) is None


def test_marked_criteria_are_prefilled_but_not_saved(login, cast, assessment_a, own_plan):
    criterion = assessment_a.round.criteria_set.criteria.get(code="1.2.1")
    type(criterion).objects.filter(pk=criterion.pk).update(prefill="inspected_units")
    response = login(cast["staff_a"]).get(reverse("scoring:assessment", args=[assessment_a.pk]))
    row = next(r for r in response.context["sheet"].leaf_rows() if r.code == "1.2.1")
    assert (row.typed.numerator, row.typed.denominator) == ("1", "2")
    assert "1/2 đơn vị trực thuộc đã được kiểm tra" in response.content.decode()
    assert not assessment_a.values.exists()

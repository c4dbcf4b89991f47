"""The yearly inspection plan: coverage as officials write it, the plan form, content areas from a
criteria set, units picked several at once, delegations, access and pinned query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Unit
from inspections.models import ContentArea, DelegationMember, InspectionPlan, Visit
from inspections.services.plans import InspectionError, MemberData, coverage, delegation_save, plan_coverage


@pytest.mark.parametrize(
    ("visited", "total", "expected"),
    [
        (7, 13, "7/13 (53,8%)"),
        (20, 40, "20/40 (50%)"),
        (0, 0, "0/0"),
        (1, 3, "1/3 (33,3%)"),
        (2, 3, "2/3 (66,7%)"),
        (0, 5, "0/5 (0%)"),
        (13, 13, "13/13 (100%)"),
        (1, 8, "1/8 (12,5%)"),
        (1, 16, "1/16 (6,3%)"),  # 6,25 rounds half-up
        (1, 6, "1/6 (16,7%)"),
    ],
)
def test_coverage(visited, total, expected):
    assert coverage(visited, total) == expected


def test_plan_coverage_per_group_and_per_parent(plan, units, groups):
    # The fixture's SO group: SNV, SGDDT, STP (3 active). SGDDT has one school (THPT group).
    for i in range(3):
        Unit.objects.create(code=f"THPT_{i}", name=f"Trường THPT số {i}", group=groups["THPT"], parent=units["a"])
    Unit.objects.create(code="THPT_OLD", name="Trường đã sáp nhập", group=groups["THPT"], parent=units["a"], is_active=False)
    visit_a = plan.visits.get(unit=units["a"])
    visit_a.status = Visit.Status.DONE
    visit_a.save()
    Visit.objects.create(plan=plan, unit=units["school"], status=Visit.Status.CONCLUDED)
    Visit.objects.create(plan=plan, unit=Unit.objects.get(code="THPT_0"))  # planned only
    groups_rows, parent_rows = plan_coverage(plan)
    by_label = {r.label.split(" – ")[0]: r for r in groups_rows}
    assert by_label["SO"].text == "1/3 (33,3%)"
    assert by_label["SO"].planned_text == "2/3 (66,7%)"
    assert by_label["THPT"].text == "1/4 (25%)"
    assert [(r.label, r.text, r.planned_text) for r in parent_rows] == [
        ("Đơn vị trực thuộc Sở Giáo dục và Đào tạo", "1/4 (25%)", "2/4 (50%)")
    ]


def test_plan_page_shows_coverage_as_officials_write_it(login, cast, plan, units):
    plan.visits.filter(unit=units["a"]).update(status=Visit.Status.DONE)
    page = login(cast["admin"]).get(reverse("inspections:plan", args=[plan.pk])).content.decode()
    assert "1/3 (33,3%)" in page
    assert "Nguyễn Thị Hoa" in page  # head of the delegation at SGDDT
    assert "Công tác văn thư, lưu trữ" in page


def test_home_affairs_creates_a_plan_with_areas_units_and_a_delegation(login, cast, units, groups, so_set):
    client = login(cast["admin"])
    response = client.post(
        reverse("inspections:plan_create"),
        {
            "year": 2026, "organizer": units["snv"].pk, "title": "Kế hoạch kiểm tra CCHC năm 2026",
            "decision_number": "25/KH-SNV", "decision_date": "05/03/2026", "decision_issuer": "Sở Nội vụ",
            "purpose": "Đánh giá kết quả CCHC", "remedial_days": 15,
        },
    )
    assert response.status_code == 302, response.content.decode()
    plan = InspectionPlan.objects.get()
    assert plan.decision_date.isoformat() == "2026-03-05" and plan.created_by == cast["admin"]

    # Areas: the scoring domains of the criteria set (bonus and penalty are not checked on site) …
    response = client.post(reverse("inspections:plan_areas", args=[plan.pk]), {"action": "set", "set-criteria_set": so_set.pk})
    assert response.status_code == 302
    assert list(plan.areas.values_list("code", "domain_code")) == [("1", "1"), ("2", "2")]
    # … again: nothing doubled.
    client.post(reverse("inspections:plan_areas", args=[plan.pk]), {"action": "set", "set-criteria_set": so_set.pk})
    assert plan.areas.count() == 2
    # … plus free areas.
    client.post(reverse("inspections:plan_areas", args=[plan.pk]), {"action": "area", "area-code": "VTLT", "area-title": "Văn thư, lưu trữ"})
    client.post(reverse("inspections:plan_areas", args=[plan.pk]), {"action": "area", "area-code": "", "area-title": "Văn hóa công vụ"})
    assert list(plan.areas.values_list("code", "title", "domain_code")) == [
        ("1", "Công tác chỉ đạo, điều hành CCHC", "1"),
        ("2", "Cải cách thủ tục hành chính", "2"),
        ("VTLT", "Văn thư, lưu trữ", ""),
        ("A", "Văn hóa công vụ", ""),
    ]
    # A duplicate code: a Vietnamese error beside the field, the title kept.
    response = client.post(reverse("inspections:plan_areas", args=[plan.pk]), {"action": "area", "area-code": "vtlt", "area-title": "Lưu trữ lần hai"})
    assert response.status_code == 200
    assert "đã có nội dung kiểm tra mã" in response.content.decode() and 'value="Lưu trữ lần hai"' in response.content.decode()

    # Units: a whole group and a parent's subordinate units at once.
    response = client.post(
        reverse("inspections:plan_units", args=[plan.pk]),
        {"groups": [groups["SO"].pk], "parents": [units["a"].pk], "planned_date": "13/10/2026"},
    )
    assert response.status_code == 302
    assert sorted(plan.visits.values_list("unit__code", flat=True)) == ["SGDDT", "SNV", "STP", "THPT_CVA"]
    assert {v.planned_date.isoformat() for v in plan.visits.all()} == {"2026-10-13"}
    # Nothing chosen: an error, nothing added.
    response = client.post(reverse("inspections:plan_units", args=[plan.pk]), {"planned_date": "13/10/2026"})
    assert response.status_code == 200 and "Chưa chọn đơn vị nào" in response.content.decode()

    # Delegation: exactly one head.
    visit = plan.visits.get(unit=units["a"])
    url = reverse("inspections:visit_delegation", args=[visit.pk])
    assert client.get(url).status_code == 200
    data = {
        "visit-planned_date": "14/10/2026",
        "members-TOTAL_FORMS": "3", "members-INITIAL_FORMS": "0", "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "1000",
        "members-0-role": "member", "members-0-full_name": "Nông Hoa Thương", "members-0-position_title": "Phó Giám đốc Sở Nội vụ",
        "members-1-role": "member", "members-1-user": cast["inspector"].pk, "members-1-full_name": "",
        "members-2-role": "secretary", "members-2-full_name": "Trần Thu",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "đúng một trưởng đoàn" in page and 'value="Nông Hoa Thương"' in page
    assert not visit.members.exists()
    data["members-0-role"] = "head"
    response = client.post(url, data)
    assert response.status_code == 302
    assert list(visit.members.values_list("role", "full_name", "user__username")) == [
        ("head", "Nông Hoa Thương", None),
        ("member", "Kiemtra", "kiemtra"),  # the name taken from the account
        ("secretary", "Trần Thu", None),
    ]
    visit.refresh_from_db()
    assert visit.planned_date.isoformat() == "2026-10-14"
    # The inspector now reads the plan and the visit.
    inspector = login(cast["inspector"])
    assert inspector.get(reverse("inspections:plan", args=[plan.pk])).status_code == 200
    assert inspector.get(reverse("inspections:visit", args=[visit.pk])).status_code == 200


def test_delegation_service_refuses_accounts_without_the_role_and_two_heads(visit_a, cast):
    with pytest.raises(InspectionError, match="không có vai trò"):
        delegation_save(visit=visit_a, members=[MemberData(full_name="A", role="head", user=cast["staff_a"])])
    with pytest.raises(InspectionError, match="đúng một trưởng đoàn"):
        delegation_save(visit=visit_a, members=[MemberData(full_name="A", role="head"), MemberData(full_name="B", role="head")])
    assert visit_a.members.count() == 3  # unchanged


def test_plan_form_errors_keep_what_was_typed(login, cast, units):
    response = login(cast["admin"]).post(
        reverse("inspections:plan_create"),
        {"year": 2026, "organizer": units["snv"].pk, "title": "Kế hoạch thử", "decision_date": "31/02/2026", "remedial_days": 15},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Kế hoạch thử"' in page and 'value="31/02/2026"' in page
    assert not InspectionPlan.objects.exists()


def test_area_with_recorded_results_cannot_be_deleted(login, cast, plan, visit_a):
    area = plan.areas.get(code="VTLT")
    visit_a.checks.create(area=area, checked=True, result="Lập hồ sơ đầy đủ")
    response = login(cast["admin"]).post(reverse("inspections:plan_area_delete", args=[plan.pk, area.pk]), follow=True)
    assert "không thể xoá" in response.content.decode()
    assert ContentArea.objects.filter(pk=area.pk).exists()


def test_plan_access(login, cast, plan, units):
    other = InspectionPlan.objects.create(year=2026, organizer=units["snv"], title="Kế hoạch khác")
    Visit.objects.create(plan=other, unit=units["b"])
    list_url = reverse("inspections:plans")
    plan_url = reverse("inspections:plan", args=[plan.pk])
    other_url = reverse("inspections:plan", args=[other.pk])
    edit_url = reverse("inspections:plan_edit", args=[plan.pk])

    admin = login(cast["admin"])
    assert admin.get(list_url).status_code == 200
    assert admin.get(edit_url).status_code == 200

    viewer = login(cast["viewer"])
    assert viewer.get(list_url).status_code == 200
    assert viewer.get(plan_url).status_code == 200
    assert viewer.get(edit_url).status_code == 403
    assert viewer.get(reverse("inspections:plan_create")).status_code == 403

    inspector = login(cast["inspector"])
    page = inspector.get(list_url).content.decode()
    assert plan.title in page and other.title not in page
    assert inspector.get(plan_url).status_code == 200
    assert inspector.get(other_url).status_code == 404  # no visit of his
    assert inspector.get(edit_url).status_code == 403
    assert inspector.post(reverse("inspections:plan_units", args=[plan.pk]), {"groups": [units["b"].group_id]}).status_code == 403
    assert inspector.get(reverse("inspections:visit_delegation", args=[plan.visits.get(unit=units["a"]).pk])).status_code == 403
    assert inspector.get(reverse("inspections:visit_delegation", args=[plan.visits.get(unit=units["b"]).pk])).status_code == 404

    for who in ("appraiser", "staff_a", "staff_b", "staff_x"):
        client = login(cast[who])
        assert client.get(list_url).status_code == 403, who
        assert client.get(plan_url).status_code == 404, who
        assert client.get(edit_url).status_code == 404, who
        assert client.post(reverse("inspections:plan_areas", args=[plan.pk]), {"action": "area", "area-title": "x"}).status_code == 404, who


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_plan_pages_query_counts_do_not_grow_with_visits(login, cast, plan, groups, units):
    Visit.objects.create(plan=plan, unit=units["school"])  # a subordinate unit: the per-parent coverage is counted too
    plan_url = reverse("inspections:plan", args=[plan.pk])
    list_url = reverse("inspections:plans")
    admin = login(cast["admin"])
    before_admin = _queries(admin, plan_url)
    before_list = _queries(admin, list_url)
    client = login(cast["inspector"])
    before_inspector = _queries(client, plan_url)
    for i in range(12):
        unit = Unit.objects.create(code=f"S{i}", name=f"Sở {i}", group=groups["SO" if i % 2 else "XA"], parent=units["a"] if i % 3 == 0 else None)
        visit = Visit.objects.create(plan=plan, unit=unit, status=Visit.Status.DONE if i % 2 else Visit.Status.PLANNED)
        DelegationMember.objects.create(visit=visit, full_name=f"Trưởng đoàn {i}", role="head", user=cast["inspector"] if i % 4 == 0 else None)
        DelegationMember.objects.create(visit=visit, full_name=f"Thành viên {i}", role="member")
    admin = login(cast["admin"])
    assert _queries(admin, plan_url) == before_admin
    assert _queries(admin, list_url) == before_list
    client = login(cast["inspector"])
    assert _queries(client, plan_url) == before_inspector

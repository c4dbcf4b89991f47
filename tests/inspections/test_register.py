"""The register of remedial actions: filters, counts per status, Excel export, access, query counts."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from inspections.models import Finding, InspectionPlan, RemedialAction, Visit
from inspections.views.actions import REGISTER_HEADERS

S = RemedialAction.Status
D = dt.date
TODAY = D(2026, 12, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def make(visit, text, *, status=S.OPEN, deadline=None, unit=None, finding_text="Tồn tại chung", report="", note=""):
    finding = Finding.objects.filter(visit=visit, text=finding_text).first() or Finding.objects.create(
        visit=visit, kind=Finding.Kind.SHORTCOMING, text=finding_text
    )
    return RemedialAction.objects.create(
        finding=finding, text=text, responsible_unit=unit or visit.unit, deadline=deadline, status=status,
        report_text=report, review_note=note,
    )


@pytest.fixture
def actions(visit_a, visit_b, units, cast):
    plan_2025 = InspectionPlan.objects.create(year=2025, organizer=units["snv"], title="Kế hoạch kiểm tra CCHC năm 2025")
    visit_2025 = Visit.objects.create(plan=plan_2025, unit=units["a"])
    return {
        "open_overdue": make(visit_a, "Niêm yết thủ tục hành chính", deadline=D(2026, 11, 20), finding_text="Chưa niêm yết TTHC"),
        "open_future": make(visit_a, "Cập nhật quy chế làm việc", deadline=D(2026, 12, 15)),
        "reported_overdue": make(visit_a, "Bố trí công chức một cửa", status=S.REPORTED, deadline=D(2026, 11, 25), report="Đã bố trí"),
        "closed_late": make(visit_a, "Số hoá hồ sơ", status=S.CLOSED, deadline=D(2026, 11, 1), report="Đã số hoá 80%", note="Đạt"),
        "school": make(visit_a, "Trường hoàn thiện hồ sơ", deadline=D(2026, 12, 20), unit=units["school"]),
        "b": make(visit_b, "Chỉnh lý hồ sơ lưu trữ", deadline=D(2026, 11, 10)),
        "a_2025": make(visit_2025, "Ban hành kế hoạch tự kiểm tra", status=S.CLOSED, deadline=D(2025, 12, 1)),
    }


def texts(response):
    return sorted(a.text for a, _overdue in response.context["rows"])


def test_home_affairs_sees_all_with_counts(login, cast, actions):
    response = login(cast["admin"]).get(reverse("inspections:register"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 7
    assert response.context["counts"] == {"all": 7, "open": 4, "reported": 1, "closed": 2, "overdue": 3}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "overdue"}, ["Bố trí công chức một cửa", "Chỉnh lý hồ sơ lưu trữ", "Niêm yết thủ tục hành chính"]),
        ({"status": "closed"}, ["Ban hành kế hoạch tự kiểm tra", "Số hoá hồ sơ"]),
        ({"status": "reported"}, ["Bố trí công chức một cửa"]),
        ({"year": "2025"}, ["Ban hành kế hoạch tự kiểm tra"]),
        ({"year": "2026", "status": "open", "q": "hồ sơ"}, ["Chỉnh lý hồ sơ lưu trữ", "Trường hoàn thiện hồ sơ"]),
        ({"q": "chu van an"}, ["Trường hoàn thiện hồ sơ"]),  # accent-free search on the unit name
        ({"q": "Chưa niêm yết"}, ["Niêm yết thủ tục hành chính"]),  # the shortcoming's text
        ({"status": "bogus"}, []),  # an invalid filter shows its error, not everything
    ],
)
def test_filters(login, cast, actions, units, params, expected):
    response = login(cast["admin"]).get(reverse("inspections:register"), params)
    if params.get("status") == "bogus":
        assert response.context["form"].errors
        return
    assert texts(response) == sorted(expected)


def test_unit_filter_and_counts_follow_the_other_filters(login, cast, actions, units):
    response = login(cast["admin"]).get(reverse("inspections:register"), {"unit": units["school"].pk, "status": "open"})
    assert texts(response) == ["Trường hoàn thiện hồ sơ"]
    assert response.context["counts"]["all"] == 1


def test_each_role_sees_its_own_actions(login, cast, actions):
    seen = {
        name: texts(login(cast[name]).get(reverse("inspections:register")))
        for name in ("staff_a", "head_a", "staff_b", "inspector", "staff_x")
    }
    visit_a_texts = {
        "Niêm yết thủ tục hành chính", "Cập nhật quy chế làm việc", "Bố trí công chức một cửa", "Số hoá hồ sơ", "Trường hoàn thiện hồ sơ",
    }
    assert set(seen["staff_a"]) == visit_a_texts - {"Trường hoàn thiện hồ sơ"} | {"Ban hành kế hoạch tự kiểm tra"}
    assert seen["head_a"] == seen["staff_a"]
    assert seen["staff_b"] == ["Chỉnh lý hồ sơ lưu trữ"]
    assert set(seen["inspector"]) == visit_a_texts  # members of visit A's delegation only
    assert seen["staff_x"] == []


def test_viewers_and_appraisers_get_403(login, cast, actions, client):
    for name in ("viewer", "appraiser"):
        c = login(cast[name])
        assert c.get(reverse("inspections:register")).status_code == 403
        assert c.get(reverse("inspections:register_xlsx")).status_code == 403
    client.logout()
    assert client.get(reverse("inspections:register")).status_code == 302  # to the login page


def test_excel_export_columns_and_a_row(login, cast, actions, units):
    response = login(cast["admin"]).get(reverse("inspections:register_xlsx"), {"status": "overdue"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [
        "Năm", "Kế hoạch", "Đơn vị được kiểm tra", "Tồn tại, hạn chế", "Kiến nghị, yêu cầu khắc phục", "Đơn vị thực hiện",
        "Hạn khắc phục", "Trạng thái", "Quá hạn", "Kết quả khắc phục", "Ý kiến của đoàn",
    ]
    assert [str(h) for h in REGISTER_HEADERS] == list(rows[0])
    assert len(rows) == 4  # the three overdue actions, by deadline
    by_text = {row[4]: row for row in rows[1:]}
    row = by_text["Bố trí công chức một cửa"]
    assert row[:6] == (2026, "Kế hoạch kiểm tra công tác CCHC năm 2026", "Sở Giáo dục và Đào tạo", "Tồn tại chung", "Bố trí công chức một cửa", "Sở Giáo dục và Đào tạo")
    assert row[6] == dt.datetime(2026, 11, 25)
    assert row[7:] == ("Đã báo cáo, chờ xem xét", "x", "Đã bố trí", None)
    deadline_cell = sheet.cell(row=2, column=7)
    assert deadline_cell.is_date and deadline_cell.number_format == "dd/mm/yyyy"


def test_excel_export_is_restricted_like_the_page(login, cast, actions):
    response = login(cast["staff_b"]).get(reverse("inspections:register_xlsx"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[4] for row in rows[1:]] == ["Chỉnh lý hồ sơ lưu trữ"]


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["admin", "inspector", "staff_a"])
def test_query_counts_do_not_grow_with_the_actions(login, cast, actions, visit_a, units, name):
    client = login(cast[name])
    urls = [reverse("inspections:register"), reverse("inspections:register_xlsx")]
    params = {"year": "2026", "q": "hồ sơ"}
    before = [_queries(client, url) for url in urls] + [_queries(client, urls[0], params)]
    for i in range(40):
        make(visit_a, f"Yêu cầu thêm số {i} về hồ sơ", deadline=D(2026, 11, 1) + dt.timedelta(days=i), finding_text=f"Tồn tại {i % 7}")
    after = [_queries(client, url) for url in urls] + [_queries(client, urls[0], params)]
    assert after == before
    assert max(before) <= 9

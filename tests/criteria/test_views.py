"""Criteria pages: who sees which set, what Home Affairs can do, and the queries they cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from criteria.models import CriteriaSet
from tests.xlsx import HANDWRITTEN, VI_HEADERS, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, so_set):
    response = client.get(reverse("criteria:detail", args=[so_set.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("who", ["admin", "appraiser", "viewer", "inspector", "staff_a", "head_a", "staff_b"])
def test_published_set_of_the_group_is_readable_with_rules_in_words(login, cast, so_set, who):
    response = login(cast[who]).get(reverse("criteria:detail", args=[so_set.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ban hành kịp thời: 1 điểm" in html
    assert "Từ 100% trở lên: 2,5 điểm" in html
    assert "Kế hoạch CCHC năm" in html


def test_a_unit_of_another_group_gets_404_for_the_set_and_its_export(login, cast, so_set):
    client = login(cast["staff_x"])
    assert client.get(reverse("criteria:detail", args=[so_set.pk])).status_code == 404
    assert client.get(reverse("criteria:export", args=[so_set.pk])).status_code == 404
    assert so_set.code not in client.get(reverse("criteria:list")).content.decode()


@pytest.mark.parametrize("who", ["appraiser", "viewer", "staff_x", "head_a"])
def test_drafts_are_only_for_home_affairs(login, cast, xa_draft, who):
    client = login(cast[who])
    assert client.get(reverse("criteria:detail", args=[xa_draft.pk])).status_code == 404
    assert client.get(reverse("criteria:export", args=[xa_draft.pk])).status_code == 404


def test_export_downloads_the_same_layout(login, cast, so_set):
    from criteria.excel import parse_criteria

    response = login(cast["staff_a"]).get(reverse("criteria:export", args=[so_set.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    parsed = parse_criteria(response.content)
    assert parsed.ok and [r.code for r in parsed.rows] == [r[0] for r in HANDWRITTEN]


@pytest.mark.parametrize(
    "name,args",
    [("criteria:publish", True), ("criteria:new_version", True), ("criteria:clone", True), ("criteria:import", False), ("criteria:import_confirm", False)],
)
def test_only_home_affairs_may_change_sets(login, cast, so_set, name, args):
    url = reverse(name, args=[so_set.pk] if args else [])
    for who in ("appraiser", "viewer", "staff_a", "head_a", "inspector"):
        assert login(cast[who]).post(url, {"code": "SO-2027", "token": "x"}).status_code == 403, who
    assert CriteriaSet.objects.count() == 1


def test_home_affairs_imports_with_preview_then_confirm(login, cast, groups):
    client = login(cast["admin"])
    data = {
        "code": "THPT-2026",
        "name": "Bộ chỉ số trường học",
        "year": 2026,
        "group": "THPT",
        "decision_number": "746/QĐ-SGDĐT",
        "decision_date": "18/04/2026",
        "decision_issuer": "Sở Giáo dục và Đào tạo",
        "publish": "on",
    }
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("tieuchi.xlsx", xlsx_bytes(VI_HEADERS, HANDWRITTEN))
    preview = client.post(reverse("criteria:import"), {**data, "file": upload})
    assert preview.status_code == 200
    assert "Xác nhận nhập" in preview.content.decode()
    assert not CriteriaSet.objects.exists()  # nothing saved at preview
    token = preview.context["token"]
    done = client.post(reverse("criteria:import_confirm"), {"token": token})
    cs = CriteriaSet.objects.get(code="THPT-2026")
    assert done.status_code == 302 and done["Location"] == reverse("criteria:detail", args=[cs.pk])
    assert cs.is_published and cs.decision_number == "746/QĐ-SGDĐT" and cs.decision_date.isoformat() == "2026-04-18"
    # Replaying the confirmation does nothing more.
    client.post(reverse("criteria:import_confirm"), {"token": token})
    assert CriteriaSet.objects.count() == 1


def test_import_preview_lists_row_errors_and_keeps_the_form(login, cast, groups):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = [list(r) for r in HANDWRITTEN]
    rows[3][5] = ">= 90% = 2; >= 95% = 1; còn lại = 0"
    upload = SimpleUploadedFile("loi.xlsx", xlsx_bytes(VI_HEADERS, rows))
    response = login(cast["admin"]).post(
        reverse("criteria:import"), {"code": "X-1", "name": "Tên đã gõ", "year": 2026, "group": "SO", "file": upload}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Quy tắc" in html and "<td class=\"num\">5</td>" in html
    assert not CriteriaSet.objects.exists()


def test_a_file_that_is_not_excel_gets_a_form_error_and_keeps_what_was_typed(login, cast, groups):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("bang.xlsx", b"plain text pretending")
    response = login(cast["admin"]).post(
        reverse("criteria:import"), {"code": "X-1", "name": "Tên đã gõ", "year": 2026, "group": "SO", "file": upload}
    )
    html = response.content.decode()
    assert "không phải là tệp Excel" in html and 'value="Tên đã gõ"' in html


def test_publish_freezes_the_set(login, cast, xa_draft):
    client = login(cast["admin"])
    client.post(reverse("criteria:publish", args=[xa_draft.pk]))
    xa_draft.refresh_from_db()
    assert xa_draft.is_published
    admin_url = reverse("admin:criteria_criteriaset_change", args=[xa_draft.pk])
    response = client.post(admin_url, {"name": "đổi tên"})
    xa_draft.refresh_from_db()
    assert xa_draft.name != "đổi tên"
    assert response.status_code in (200, 403)


def test_new_version_and_clone_to_next_year(login, cast, so_set):
    client = login(cast["admin"])
    client.post(reverse("criteria:new_version", args=[so_set.pk]))
    v2 = CriteriaSet.objects.get(code="SO-2026", version=2)
    assert not v2.is_published and v2.criteria.count() == so_set.criteria.count()
    client.post(reverse("criteria:clone", args=[so_set.pk]), {"code": "SO-2027"})
    nxt = CriteriaSet.objects.get(code="SO-2027")
    assert nxt.year == 2027 and nxt.version == 1 and not nxt.is_published
    assert list(nxt.criteria.values_list("code", "rule")) == list(so_set.criteria.values_list("code", "rule"))


def test_list_and_detail_query_counts_do_not_grow_with_sets_or_criteria(login, cast, groups, so_set):
    client = login(cast["admin"])

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    list_before, detail_before = count(reverse("criteria:list")), count(reverse("criteria:detail", args=[so_set.pk]))
    from criteria.services import criteria_set_import

    big = HANDWRITTEN + [[f"2.{i}", f"Tiêu chí {i}", 0, "", "tự chấm", "", "", "", "", ""] for i in range(6, 40)]
    for n in range(3):
        criteria_set_import(source=xlsx_bytes(VI_HEADERS, big), code=f"B-{n}", name="b", year=2026, group=groups["SO"])
    big_set = CriteriaSet.objects.get(code="B-0")
    assert count(reverse("criteria:list")) == list_before
    assert count(reverse("criteria:detail", args=[big_set.pk])) == detail_before

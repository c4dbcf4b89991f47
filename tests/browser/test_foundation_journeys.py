"""Each role logs in, finds its work on the home page and browses a criteria set; Home Affairs
imports a set through the page; the pages fit a phone."""

import pytest

from tests.xlsx import HANDWRITTEN, VI_HEADERS, xlsx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = [
    ("snv.quantri", "Quản trị Sở Nội vụ", "SO-2026"),
    ("snv.thamdinh", "Thẩm định viên", "XA-2026"),
    ("snv.kiemtra", "Thành viên đoàn kiểm tra", "THPT-2026"),
    ("sgddt.canbo", "Cán bộ đơn vị", "SO-2026"),
    ("sgddt.lanhdao", "Lãnh đạo đơn vị", "SO-2026"),
    ("ubnd.xem", "Người xem kết quả", "XA-2026"),
]


@pytest.mark.parametrize("username,role,set_code", ROLES)
def test_each_role_logs_in_and_browses_a_criteria_set(page, demo, log_in, live_server, shot, username, role, set_code):
    log_in(page, username)
    shot(page, f"home-{username}")
    assert page.get_by_role("heading", name=role).is_visible()
    page.click("nav >> text=Bộ tiêu chí")
    page.click(f"text={set_code}")
    assert page.locator(".root > .node").count() >= 8  # domains
    assert page.locator(".leaf .rule").first.inner_text().strip() != ""
    assert page.get_by_text("Tài liệu kiểm chứng:").first.is_visible()
    shot(page, f"criteria-{username}")
    page.click("text=Đăng xuất")
    assert "/dang-nhap/" in page.url


def test_unit_staff_cannot_open_another_groups_set_by_url(page, demo, log_in, live_server):
    from criteria.models import CriteriaSet

    xa = CriteriaSet.objects.get(code="XA-2026")
    log_in(page, "sgddt.canbo")
    response = page.goto(f"{live_server.url}/bo-tieu-chi/{xa.pk}/")
    assert response.status == 404


def test_home_affairs_imports_a_set_with_preview(page, demo, log_in, live_server, shot, tmp_path):
    workbook = tmp_path / "bo-moi.xlsx"
    workbook.write_bytes(xlsx_bytes(VI_HEADERS, HANDWRITTEN))
    log_in(page, "snv.quantri")
    page.goto(f"{live_server.url}/bo-tieu-chi/nhap/")
    page.set_input_files("#id_file", str(workbook))
    page.fill("#id_code", "SO-2027")
    page.fill("#id_name", "Bộ chỉ số sở năm 2027")
    page.fill("#id_year", "2027")
    page.select_option("#id_group", "SO")
    page.fill("#id_decision_date", "15/01/2027")
    page.click("text=Kiểm tra tệp")
    assert page.get_by_text("Sẽ tạo bộ tiêu chí mới").is_visible()
    shot(page, "criteria-import-preview")
    page.click("text=Xác nhận nhập")
    assert page.get_by_role("heading", name="Bộ chỉ số sở năm 2027").is_visible()
    assert page.get_by_text("Dự thảo").first.is_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Ban hành')")
    assert page.get_by_text("Đã ban hành").first.is_visible()


def test_pages_fit_a_phone(page, demo, log_in, live_server, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "sgddt.canbo")
    page.click("nav >> text=Bộ tiêu chí")
    page.click("text=SO-2026")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    shot(page, "criteria-phone")

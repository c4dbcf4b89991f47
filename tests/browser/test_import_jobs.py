"""Home Affairs uploads a large units file: a job checks it and its page shows the preview (the
counts, the first rows that change) with the confirm button; confirming starts the import, whose
page shows the outcome and the way back, or the row errors with nothing saved. A unit's user
cannot open either job. Jobs run in-process here, as `make run` runs them; a Celery worker's
progress goes through the same page."""

import pytest

from accounts.models import Unit, UnitGroup, User
from core.jobs import PREVIEW_ROWS
from tests.xlsx import xlsx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Matkhau@2026"
HEADERS = ["Mã đơn vị", "Tên đơn vị", "Nhóm", "Mã đơn vị cấp trên"]


@pytest.fixture
def people(transactional_db):
    group = UnitGroup.objects.create(code="SO", name="Sở, ban, ngành", position=1)
    snv = Unit.objects.create(code="SNV", name="Sở Nội vụ", group=group)
    sgddt = Unit.objects.create(code="SGDDT", name="Sở Giáo dục và Đào tạo", group=group)
    admin = User(username="quantri", full_name="Quản Trị", unit=snv, is_home_affairs=True)
    staff = User(username="canbo", full_name="Cán Bộ", unit=sgddt, is_unit_staff=True)
    for user in (admin, staff):
        user.set_password(PASSWORD)
        user.save()
    return {"admin": admin, "staff": staff}


def _upload(page, live_server, tmp_path, rows):
    workbook = tmp_path / "don-vi-xa.xlsx"
    workbook.write_bytes(xlsx_bytes(HEADERS, rows))
    page.goto(f"{live_server.url}/don-vi/nhap/")
    page.set_input_files("#id_file", str(workbook))
    page.click("text=Kiểm tra tệp")


def test_a_large_units_file_is_checked_then_imported_by_jobs(page, people, log_in, live_server, shot, settings, tmp_path):
    assert settings.IMPORT_JOB_ROWS == 1000  # the default: a file of 1,200 units goes to the background
    rows = [[f"XA{i:04d}", f"UBND xã số {i}", "XA", "" if i % 10 == 0 else f"XA{i - i % 10:04d}"] for i in range(1200)]
    rows += [["SNV", "Sở Nội vụ tỉnh", "SO", ""], ["SGDDT", "Sở Giáo dục và Đào tạo", "SO", ""]]
    log_in(page, "quantri", PASSWORD)
    _upload(page, live_server, tmp_path, rows)
    page.wait_for_url("**/cong-viec/*/")
    assert page.get_by_role("heading", name="Kiểm tra tệp đơn vị trước khi nhập").is_visible()
    assert page.get_by_text("Đã kiểm tra tệp don-vi-xa.xlsx (1202 dòng): không có lỗi.").is_visible()
    assert page.get_by_text("Sẽ thêm mới 1200, cập nhật 1, giữ nguyên 1 đơn vị.").is_visible()
    assert page.get_by_text("Nhóm mới: XA.").is_visible()
    assert page.get_by_text(f"Danh sách dưới đây gồm {PREVIEW_ROWS} dòng thay đổi đầu tiên (trong 1201 dòng thay đổi)").is_visible()
    assert page.locator("table.grid tbody tr").count() == PREVIEW_ROWS
    assert page.get_by_text("Tệp lớn: sau khi xác nhận").is_visible()
    assert not Unit.objects.filter(code__startswith="XA").exists()
    shot(page, "import-job-units-checked")
    check_url = page.url

    page.click("text=Xác nhận nhập")
    page.wait_for_url(lambda url: "/cong-viec/" in url and url != check_url)
    assert page.get_by_role("heading", name="Nhập đơn vị từ Excel").is_visible()
    assert page.get_by_text("Đã nhập: thêm mới 1200, cập nhật 1, không đổi 1 đơn vị.").is_visible()
    assert page.locator("[data-job-status]").inner_text() == "Hoàn thành"
    shot(page, "import-job-units-done")
    job_url = page.url
    assert Unit.objects.filter(code__startswith="XA").count() == 1200
    assert Unit.objects.get(code="XA1199").parent.code == "XA1190"

    page.goto(check_url)  # confirmed once: no second confirm button
    assert page.get_by_text("Tệp này đã được xác nhận nhập").is_visible() and page.get_by_role("button", name="Xác nhận nhập").count() == 0

    page.click("text=Danh sách đơn vị")
    assert "/don-vi/" in page.url and page.get_by_role("cell", name="Sở Nội vụ tỉnh").is_visible()

    page.click("text=Đăng xuất")
    log_in(page, "canbo", PASSWORD)
    assert page.goto(job_url).status == 404
    assert page.goto(check_url).status == 404


def test_a_file_rejected_by_the_job_lists_its_errors(page, people, log_in, live_server, shot, settings, tmp_path):
    settings.IMPORT_JOB_ROWS = 1
    temporary = Unit.objects.create(code="TAM", name="Đơn vị tạm", group=UnitGroup.objects.get(code="SO"))
    log_in(page, "quantri", PASSWORD)
    _upload(page, live_server, tmp_path, [["XA001", "UBND xã Một", "XA", "TAM"], ["XA002", "UBND xã Hai", "XA", "TAM"]])
    page.wait_for_url("**/cong-viec/*/")
    assert page.get_by_text("Sẽ thêm mới 2, cập nhật 0, giữ nguyên 0 đơn vị.").is_visible()
    temporary.delete()  # another officer removes it between the check and the confirmation
    check_url = page.url
    page.click("text=Xác nhận nhập")
    page.wait_for_url(lambda url: "/cong-viec/" in url and url != check_url)
    assert page.locator("[data-job-status]").inner_text() == "Lỗi"
    assert page.get_by_text("Tệp có 2 lỗi; chưa có gì được lưu.").is_visible()
    assert page.locator(".error-panel tbody tr").count() == 2
    assert page.locator(".error-panel tbody tr").first.inner_text().split("\t")[:2] == ["2", "Mã đơn vị cấp trên"]
    shot(page, "import-job-units-errors")
    assert not Unit.objects.filter(code__startswith="XA").exists()
    page.click("text=Nhập tệp khác")
    assert page.url.endswith("/don-vi/nhap/")


def test_a_large_file_with_errors_is_stopped_at_the_check(page, people, log_in, live_server, shot, settings, tmp_path):
    settings.IMPORT_JOB_ROWS = 5
    rows = [[f"XA{i:03d}", "UBND xã" if i % 3 else "", "XA", ""] for i in range(30)]
    log_in(page, "quantri", PASSWORD)
    _upload(page, live_server, tmp_path, rows)
    page.wait_for_url("**/cong-viec/*/")
    assert page.locator("[data-job-status]").inner_text() == "Lỗi"
    assert page.get_by_text("Không nhập được tệp don-vi-xa.xlsx: sửa các lỗi dưới đây rồi tải tệp lên lại.").is_visible()
    assert page.get_by_text("Tệp có 10 lỗi; chưa có gì được lưu.").is_visible()
    assert page.get_by_role("button", name="Xác nhận nhập").count() == 0
    shot(page, "import-job-units-check-errors")

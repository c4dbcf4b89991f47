"""Home Affairs confirms a large units file: the job page shows the outcome and the way back, or
the row errors with nothing saved; a unit's user cannot open the job. Jobs run in-process here,
as `make run` runs them; a Celery worker's progress goes through the same page."""

import pytest

from accounts.models import Unit, UnitGroup, User
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


def test_a_large_units_file_is_imported_by_a_job(page, people, log_in, live_server, shot, settings, tmp_path):
    settings.IMPORT_JOB_ROWS = 20
    rows = [[f"XA{i:03d}", f"UBND xã số {i}", "XA", "" if i % 10 == 0 else f"XA{i - i % 10:03d}"] for i in range(60)]
    log_in(page, "quantri", PASSWORD)
    _upload(page, live_server, tmp_path, rows)
    assert page.get_by_text("Sẽ thêm mới 60, cập nhật 0, giữ nguyên 0 đơn vị.").is_visible()
    assert page.get_by_text("Tệp lớn: sau khi xác nhận").is_visible()
    page.click("text=Xác nhận nhập")
    page.wait_for_url("**/cong-viec/*/")
    assert page.get_by_role("heading", name="Nhập đơn vị từ Excel").is_visible()
    assert page.get_by_text("Đã nhập: thêm mới 60, cập nhật 0, không đổi 0 đơn vị.").is_visible()
    assert page.locator("[data-job-status]").inner_text() == "Hoàn thành"
    shot(page, "import-job-units-done")
    job_url = page.url
    assert Unit.objects.filter(code__startswith="XA").count() == 60

    page.click("text=Danh sách đơn vị")
    assert "/don-vi/" in page.url and page.get_by_text("UBND xã số 59").is_visible()

    page.click("text=Đăng xuất")
    log_in(page, "canbo", PASSWORD)
    assert page.goto(job_url).status == 404


def test_a_file_rejected_by_the_job_lists_its_errors(page, people, log_in, live_server, shot, settings, tmp_path):
    settings.IMPORT_JOB_ROWS = 1
    temporary = Unit.objects.create(code="TAM", name="Đơn vị tạm", group=UnitGroup.objects.get(code="SO"))
    log_in(page, "quantri", PASSWORD)
    _upload(page, live_server, tmp_path, [["XA001", "UBND xã Một", "XA", "TAM"], ["XA002", "UBND xã Hai", "XA", "TAM"]])
    temporary.delete()  # another officer removes it between the preview and the confirmation
    page.click("text=Xác nhận nhập")
    page.wait_for_url("**/cong-viec/*/")
    assert page.locator("[data-job-status]").inner_text() == "Lỗi"
    assert page.get_by_text("Tệp có 2 lỗi; chưa có gì được lưu.").is_visible()
    assert page.locator(".error-panel tbody tr").count() == 2
    assert page.locator(".error-panel tbody tr").first.inner_text().split("\t")[:2] == ["2", "Mã đơn vị cấp trên"]
    shot(page, "import-job-units-errors")
    assert not Unit.objects.filter(code__startswith="XA").exists()
    page.click("text=Nhập tệp khác")
    assert page.url.endswith("/don-vi/nhap/")

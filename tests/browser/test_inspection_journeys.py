"""Inspections in Chromium at phone width: a delegation member records a visit with findings and a
photo; Home Affairs issues the conclusion notice and downloads the PDF; the unit reports on the
remedial action and the delegation accepts it."""

import io
import subprocess

import pytest
from PIL import Image

from inspections.models import RemedialAction
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_visit_notice_and_remedial_report_on_a_phone(page, live_server, log_in, shot, cast, visit_a, so_set, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    photo = tmp_path / "bo-phan-mot-cua.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 60)).save(buffer, "PNG")
    photo.write_bytes(buffer.getvalue())
    report = tmp_path / "bao-cao-khac-phuc.pdf"
    report.write_bytes(PDF)

    # The delegation member records the visit on site.
    log_in(page, "kiemtra", PASSWORD)
    page.goto(f"{live_server.url}/kiem-tra/chuyen/{visit_a.pk}/")
    page.fill("#id_visit_date", "13/10/2026")
    page.fill("#id_start_time", "14:00")
    page.fill("#id_end_time", "16:30")
    page.fill("#id_place", "Trụ sở Sở Giáo dục và Đào tạo")
    page.fill("#id_unit_attendees", "Hoàng Văn Em – Phó Giám đốc")
    page.get_by_role("button", name="Lưu biên bản").click()
    assert page.get_by_text("Đã kiểm tra").first.is_visible()
    page.check("input[name=f-kind][value=strength]")
    page.fill("#id_f-text", "Tiếp nhận 11.999 hồ sơ, giải quyết đúng hạn 11.801 hồ sơ, sớm hạn 194 hồ sơ")
    page.get_by_role("button", name="Ghi kết quả").click()
    page.check("input[name=f-kind][value=shortcoming]")
    page.fill("#id_f-text", "Chậm ban hành kế hoạch CCHC năm")
    page.fill("#id_f-cause", "Chưa phân công rõ đầu mối tham mưu")
    page.fill("#id_f-criterion_code", "1.1.1")
    page.set_input_files("#id_f-files", str(photo))
    page.get_by_role("button", name="Ghi kết quả").click()
    assert page.get_by_text("Chậm ban hành kế hoạch CCHC năm").first.is_visible()
    assert page.locator("img[src*='/kiem-tra/tep/']").count() == 1
    page.get_by_text("Thêm kiến nghị, yêu cầu khắc phục").first.click()
    page.locator("textarea[name=text][id^=ra-text]").first.fill("Xây dựng kế hoạch cải cách hành chính để triển khai đạt hiệu quả")
    page.locator("form[action*='/khac-phuc/them/'] button").first.click()
    assert page.get_by_text("Xây dựng kế hoạch cải cách hành chính").first.is_visible()
    shot(page, "inspection-visit-phone")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.click("text=Đăng xuất")

    # Home Affairs issues the conclusion notice and downloads it.
    log_in(page, "quantri", PASSWORD)
    page.goto(f"{live_server.url}/kiem-tra/chuyen/{visit_a.pk}/van-ban/notice/")
    page.fill("#id_number", "12/TB-SNV")
    page.fill("#id_issue_date", "20/10/2026")
    page.fill("#id_signer_authority", "KT. GIÁM ĐỐC")
    page.fill("#id_signer_title", "PHÓ GIÁM ĐỐC")
    page.fill("#id_signer_name", "Nông Hoa Thương")
    page.get_by_role("button", name="Lưu và ban hành").click()
    assert page.get_by_text("Đã ban hành").first.is_visible()
    shot(page, "inspection-notice-phone")
    with page.expect_download() as download:
        page.locator("a[href$='/pdf/']").first.click()
    path = tmp_path / "thong-bao.pdf"
    download.value.save_as(path)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "THÔNG BÁO" in text and "Chậm ban hành kế hoạch CCHC năm" in text and "Nông Hoa Thương" in text
    action = RemedialAction.objects.get()
    assert action.deadline.isoformat() == "2026-11-04"  # 15 days after the notice
    page.click("text=Đăng xuất")

    # The unit reports what it did; the delegation accepts.
    log_in(page, "canbo.a", PASSWORD)
    page.goto(f"{live_server.url}/kiem-tra/khac-phuc/{action.pk}/")
    page.fill("#report_text", "Đã ban hành Kế hoạch CCHC năm 2027 ngày 05/11/2026")
    page.set_input_files("#files", str(report))
    page.get_by_role("button", name="Gửi báo cáo đến đoàn kiểm tra").click()
    assert page.get_by_text("bao-cao-khac-phuc.pdf").first.is_visible()
    shot(page, "inspection-report-phone")
    page.click("text=Đăng xuất")
    log_in(page, "kiemtra", PASSWORD)
    page.goto(f"{live_server.url}/kiem-tra/khac-phuc/{action.pk}/")
    page.get_by_role("button", name="Chấp nhận, hoàn thành").click()
    action.refresh_from_db()
    assert action.status == "closed"

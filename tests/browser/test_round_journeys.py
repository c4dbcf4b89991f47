"""The yearly round in Chromium: a unit fills every method and uploads evidence while the totals
move; the head is refused while something is missing, then submits; an appraiser appraises with
reasons; the unit answers in the explanation round. Screenshots at desktop and phone width."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def leaf(page, code):
    return page.locator(f"[data-leaf='{code}']")


def total(page):
    return page.locator(".savebar [data-total]").inner_text()


@pytest.mark.parametrize("width", [1280, 390])
def test_unit_appraiser_and_explanation_round(page, live_server, log_in, shot, cast, assessment_a, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 900})
    evidence = tmp_path / "ke-hoach-137.pdf"
    evidence.write_bytes(PDF)

    # Unit staff fill every method; the totals move as they type.
    log_in(page, "canbo.a", PASSWORD)
    page.click("nav >> text=Tự chấm điểm")
    assert total(page) == "0"
    leaf(page, "1.1.1").get_by_label("Ban hành kịp thời").check()
    leaf(page, "1.1.2").locator("input[name$='-numerator']").fill("11995")
    leaf(page, "1.1.2").locator("input[name$='-denominator']").fill("11999")
    page.wait_for_function("document.querySelector(\"[data-leaf='1.1.2'] [data-points]\").textContent === '1,75'")
    assert leaf(page, "1.1.2").locator("[data-rate]").inner_text() == "99,97%"
    leaf(page, "1.2.1").get_by_label("Không áp dụng").check()
    leaf(page, "1.2.2").locator("input[name$='-points']").fill("1,25")
    leaf(page, "2.1").locator("input[name$='-numerator']").fill("2299")
    leaf(page, "2.1").locator("input[name$='-denominator']").fill("2412")
    leaf(page, "2.2").locator("input[name$='-count']").fill("5")
    leaf(page, "2.3").locator("input[name$='-count']").fill("1")
    leaf(page, "2.4").get_by_label("Hoàn thành tốt").check()
    leaf(page, "B.1").get_by_label("Giấy khen").check()
    leaf(page, "B.2").locator("input[name$='-count']").fill("0")
    leaf(page, "P.1").locator("input[name$='-count']").fill("1")
    for code in ("1.1.2", "1.2.2", "2.1", "2.3", "2.4", "B.1", "B.2", "P.1"):
        leaf(page, code).locator("textarea[name$='-note']").fill("Số liệu tại báo cáo CCHC năm 2026")
    page.wait_for_function("document.querySelector('.savebar [data-total]').textContent === '9,41'")
    assert page.locator(".savebar [data-index]").inner_text() == "85,55"
    shot(page, f"round-self-filled-{width}")
    page.click(".savebar button")
    expect(page.get_by_role("status").filter(has_text="Đã lưu 11 tiêu chí")).to_be_visible()  # saved in place
    # Evidence: a PDF on 1.1.1 that opens in the browser.
    leaf(page, "1.1.1").locator("input[type=file][multiple]").set_input_files(str(evidence))
    leaf(page, "1.1.1").get_by_role("button", name="Tải lên").click()
    expect(leaf(page, "1.1.1").get_by_role("link", name="ke-hoach-137.pdf")).to_be_visible()
    page.click("text=Đăng xuất")

    # The head is refused while 2.2 has neither evidence nor explanation, then submits.
    log_in(page, "lanhdao.a", PASSWORD)
    page.click("nav >> text=Tự chấm điểm")
    page.once("dialog", lambda d: d.accept())
    page.click("text=Nộp kết quả tự chấm")
    assert page.get_by_text("Chưa thể nộp vì còn thiếu").is_visible()
    assert page.get_by_text(
        "2.2. Nội quy, quy chế được ban hành: chưa có tài liệu kiểm chứng hoặc giải trình."
    ).is_visible()
    shot(page, f"round-submit-refused-{width}")
    leaf(page, "2.2").locator("textarea[name$='-note']").fill("Quyết định ban hành 5 quy chế")
    page.click(".savebar button")
    expect(page.get_by_text("Đã lưu 1 tiêu chí")).to_be_visible()
    page.once("dialog", lambda d: d.accept())
    page.click("text=Nộp kết quả tự chấm")
    assert page.get_by_text("Đã nộp kết quả tự chấm").is_visible()
    page.click("text=Đăng xuất")

    # The appraiser lowers 2.2 with a reason and accepts the rest.
    log_in(page, "thamdinh", PASSWORD)
    page.goto(f"{live_server.url}/danh-gia/phieu/{assessment_a.pk}/tham-dinh/")
    leaf(page, "2.2").locator("input[name$='-count']").fill("2")
    page.click(".savebar button")
    expect(page.get_by_text("Cần ghi lý do").first).to_be_visible()
    leaf(page, "2.2").locator("textarea[name$='-note']").fill("Chỉ 2 quy chế đúng nội dung")
    page.click(".savebar button")
    expect(page.get_by_text("Đã lưu 1 tiêu chí")).to_be_visible()
    page.click("text=Chấp nhận điểm tự chấm cho các tiêu chí chưa thẩm định")
    page.click("text=Hoàn thành thẩm định sơ bộ")
    assert page.get_by_text("Đã hoàn thành thẩm định sơ bộ").is_visible()
    shot(page, f"round-appraisal-{width}")
    page.click("text=Đăng xuất")

    log_in(page, "quantri", PASSWORD)
    page.goto(f"{live_server.url}/danh-gia/phieu/{assessment_a.pk}/tham-dinh/")
    page.click("text=Gửi kết quả sơ bộ cho đơn vị giải trình")
    page.click("text=Đăng xuất")

    # The unit answers on the disputed leaf.
    log_in(page, "canbo.a", PASSWORD)
    page.goto(f"{live_server.url}/danh-gia/phieu/{assessment_a.pk}/giai-trinh/")
    page.locator("textarea[name$='-explanation']").fill(
        "Quy chế thứ ba đã được sửa theo hướng dẫn, gửi kèm quyết định."
    )
    page.click("text=Lưu và gửi giải trình")
    assert page.get_by_text("Đã gửi giải trình").is_visible()
    shot(page, f"round-explanation-{width}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

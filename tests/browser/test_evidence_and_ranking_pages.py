"""In Chromium on the demo province: the evidence forms the self-assessment page writes once are copied
into every leaf and work there, in place (upload, attach an uploaded file, cite a document, a refused
document kept); the ranking page lists every unit and a unit finds its own row."""

import pytest
from playwright.sync_api import expect

from scoring.models import Round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
DUPLICATE_IDS = "(() => { const ids = [...document.querySelectorAll('[id]')].map((e) => e.id); return ids.length - new Set(ids).size; })()"
UNLABELLED = "[...document.querySelectorAll('label[for]')].filter((l) => !document.getElementById(l.htmlFor)).length"


def test_evidence_forms_written_once_work_in_every_leaf(page, demo, log_in, live_server, shot, tmp_path):
    report = tmp_path / "bao-cao-cchc-2026.pdf"
    report.write_bytes(PDF)
    log_in(page, "sgddt.canbo")
    page.click("nav >> text=Tự chấm điểm")
    page.wait_for_load_state()  # evidence.js has filled the slots
    with_evidence = page.locator("article[data-leaf]:has(.evidence-box)")
    assert with_evidence.count() > 20
    assert with_evidence.locator("input[type=file][multiple]").count() == with_evidence.count()
    assert page.evaluate(DUPLICATE_IDS) == 0 and page.evaluate(UNLABELLED) == 0
    first, second, third = (with_evidence.nth(i) for i in (0, 1, 2))
    url = page.url

    # Sent in place: the leaf's evidence is replaced, the page stays.
    first.get_by_label("Tải tệp lên").set_input_files(str(report))
    first.get_by_role("button", name="Tải lên").click()
    expect(first.get_by_role("link", name="bao-cao-cchc-2026.pdf")).to_be_visible()
    assert page.url == url

    # The other leaves' lists of uploaded files offer the new one.
    choices = second.get_by_label("Tệp đã tải lên", exact=True)
    expect(choices.locator("option", has_text="bao-cao-cchc-2026.pdf")).to_have_count(1)
    choices.select_option(index=1)
    second.get_by_role("button", name="Đính kèm").click()
    expect(second.get_by_role("link", name="bao-cao-cchc-2026.pdf")).to_be_visible()

    third.get_by_text("Thêm văn bản (số, ký hiệu, ngày, trích yếu)").click()
    third.get_by_label("Số, ký hiệu").fill("12/KH-SGDĐT")
    third.get_by_label("Ngày (dd/mm/yyyy)").fill("31/02/2026")
    third.get_by_role("button", name="Thêm văn bản").click()
    # Refused in place: the reason under the form, which keeps what was typed.
    expect(third.get_by_role("alert")).to_contain_text("31/02/2026")
    assert third.get_by_label("Ngày (dd/mm/yyyy)").input_value() == "31/02/2026"
    assert third.get_by_label("Số, ký hiệu").input_value() == "12/KH-SGDĐT"
    third.get_by_label("Ngày (dd/mm/yyyy)").fill("19/01/2026")
    third.get_by_role("button", name="Thêm văn bản").click()
    expect(third.get_by_text("Văn bản: 12/KH-SGDĐT ngày 19/01/2026")).to_be_visible()
    assert page.evaluate(DUPLICATE_IDS) == 0 and page.url == url
    third.scroll_into_view_if_needed()
    shot(page, "evidence-forms-in-every-leaf")


def test_ranking_lists_every_unit_and_a_unit_finds_its_own(page, demo, log_in, live_server, shot):
    round_ = Round.objects.get(group__code="SO")
    url = f"{live_server.url}/danh-gia/ky/{round_.pk}/xep-hang/"
    log_in(page, "snv.quantri")
    page.goto(url)
    page.click("summary:has-text('Công bố kết quả')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Công bố')")
    assert page.get_by_text("Đã công bố kết quả").is_visible()
    units = round_.assessments.count()
    assert page.locator("#ranking-table tbody tr").count() == units
    assert page.locator("#domain-table tbody tr").count() == units
    shot(page, "ranking-published")
    page.click("text=Đăng xuất")

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "sgddt.canbo")
    page.goto(url)
    assert page.get_by_text("Đơn vị của bạn").is_visible()
    page.click("text=Xem trong bảng")
    assert page.url.endswith("#u-SGDDT")
    assert page.locator("#ranking-table tr.own").is_visible()
    shot(page, "ranking-own-unit-390")

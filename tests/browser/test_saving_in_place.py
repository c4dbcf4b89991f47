"""In Chromium: “Lưu” and the evidence forms work in place on the self-assessment page. A value is
saved without the page being reloaded (a marker set in the page survives, the address stays), only
the changed leaf is sent, refused values are shown in their leaf and stay unsaved; a file is
uploaded into its leaf and offered to the others; a failed fetch falls back to the plain form post."""

import pytest
from playwright.sync_api import expect

from scoring.models import EvidenceFile, LeafValue
from tests.browser.conftest import SHOTS
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def leaf(page, code):
    return page.locator(f"[data-leaf='{code}']")


def open_sheet(page, log_in, live_server, assessment):
    log_in(page, "canbo.a", PASSWORD)
    page.goto(f"{live_server.url}/danh-gia/phieu/{assessment.pk}/")
    page.evaluate("window.__stayed = 'yes'")  # gone if the page were loaded again
    return page.url


def view(page, name: str):
    """What the user sees (the window, with the sticky save bar), not the whole page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def stayed(page, url) -> bool:
    return page.url == url and page.evaluate("window.__stayed") == "yes"


def test_save_in_place(page, live_server, log_in, cast, assessment_a):
    url = open_sheet(page, log_in, live_server, assessment_a)
    pk_22 = assessment_a.round.criteria_set.criteria.get(code="2.2").pk
    leaf(page, "2.2").locator("input[name$='-count']").fill("3")
    expect(leaf(page, "2.2")).to_have_class("leaf-card is-dirty")
    with page.expect_request("**/luu/") as sent:
        page.get_by_role("button", name="Lưu", exact=True).click()
    status = page.locator(".savebar [role=status]")
    expect(status).to_have_text("Đã lưu 1 tiêu chí.")
    expect(page.locator(".savebar [data-total]")).to_have_text("1,5")
    assert stayed(page, url)
    expect(leaf(page, "2.2")).to_have_class("leaf-card")
    body = sent.value.post_data
    assert f'name="c{pk_22}-count"' in body and body.count("-present") == 1  # only the changed leaf
    assert LeafValue.objects.get(assessment=assessment_a, criterion__code="2.2").count == 3
    leaf(page, "2.2").scroll_into_view_if_needed()
    view(page, "save-in-place")

    # A refused value: its reason in the leaf, the message in the bar, the leaf still unsaved.
    leaf(page, "1.2.2").locator("input[name$='-points']").fill("9")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(status).to_contain_text("Có 1 giá trị chưa hợp lệ")
    expect(status).to_have_class("save-status is-error")
    expect(leaf(page, "1.2.2").locator("[data-live-error]")).to_contain_text("vượt quá")
    expect(leaf(page, "1.2.2")).to_have_class("leaf-card is-dirty")
    assert stayed(page, url)
    view(page, "save-in-place-refused")

    # Leaving with it unsaved asks first.
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.evaluate("window.location.assign('/')")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"] and stayed(page, url)


def test_a_failed_fetch_falls_back_to_the_plain_post(page, live_server, log_in, cast, assessment_a):
    open_sheet(page, log_in, live_server, assessment_a)

    def refuse_fetches(route):
        if "application/json" in route.request.headers.get("accept", ""):
            route.abort()
        else:
            route.continue_()

    page.route("**/luu/", refuse_fetches)
    leaf(page, "2.2").locator("input[name$='-count']").fill("2")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Đã lưu")  # the page came back from the plain post
    assert page.evaluate("window.__stayed") is None
    assert LeafValue.objects.get(assessment=assessment_a, criterion__code="2.2").count == 2


def test_upload_in_place(page, live_server, log_in, cast, assessment_a, tmp_path):
    minutes = tmp_path / "bien-ban-hop.pdf"
    minutes.write_bytes(PDF)
    program = tmp_path / "chuong-trinh.exe"
    program.write_bytes(b"MZ\x90\x00")
    url = open_sheet(page, log_in, live_server, assessment_a)
    leaf(page, "2.2").locator("input[name$='-count']").fill("4")  # typed, not saved: must survive the upload
    first = leaf(page, "1.1.1")
    expect(first.get_by_label("Tệp đã tải lên", exact=True)).to_be_hidden()  # no file uploaded yet

    first.get_by_label("Tải tệp lên").set_input_files(str(minutes))
    first.get_by_role("button", name="Tải lên").click()
    expect(first.get_by_role("link", name="bien-ban-hop.pdf")).to_be_visible()
    expect(first.locator("[data-evidence-status][role=status]")).to_have_text(
        "Đã đính kèm tệp “bien-ban-hop.pdf” vào tiêu chí 1.1.1."
    )
    assert stayed(page, url) and EvidenceFile.objects.count() == 1
    assert leaf(page, "2.2").locator("input[name$='-count']").input_value() == "4"
    # The new block got its forms, and every leaf now offers the file.
    expect(first.get_by_label("Tải tệp lên")).to_be_visible()
    other = leaf(page, "2.1").get_by_label("Tệp đã tải lên", exact=True)
    expect(other).to_be_visible()
    expect(other.locator("option", has_text="bien-ban-hop.pdf")).to_have_count(1)
    first.locator(".evidence").scroll_into_view_if_needed()
    view(page, "upload-in-place")

    # Refused: the reason in the leaf, and the chosen file is still chosen.
    second = leaf(page, "1.1.2")
    second.get_by_label("Tải tệp lên").set_input_files(str(program))
    second.get_by_role("button", name="Tải lên").click()
    expect(second.get_by_role("alert")).to_contain_text("Không nhận tệp “chuong-trinh.exe”")
    assert second.get_by_label("Tải tệp lên").evaluate("input => input.files.length") == 1
    assert stayed(page, url) and EvidenceFile.objects.count() == 1
    view(page, "upload-in-place-refused")


def test_an_upload_without_an_answer_is_not_sent_twice(page, live_server, log_in, cast, assessment_a, tmp_path):
    """No JSON answer (connection lost): the server may have saved it, so the form is not sent
    again (a document could be cited twice); the leaf says to reload and check."""
    minutes = tmp_path / "bien-ban-hop.pdf"
    minutes.write_bytes(PDF)
    url = open_sheet(page, log_in, live_server, assessment_a)
    page.route("**/tai-len/", lambda route: route.abort())
    first = leaf(page, "1.1.1")
    first.get_by_label("Tải tệp lên").set_input_files(str(minutes))
    first.get_by_role("button", name="Tải lên").click()
    expect(first.get_by_role("alert")).to_contain_text("Không gửi được")
    assert stayed(page, url) and EvidenceFile.objects.count() == 0
    assert first.get_by_label("Tải tệp lên").evaluate("input => input.files.length") == 1


def test_an_appraisal_saved_in_place_leaves_the_self_assessment_figures_alone(
    page, live_server, log_in, cast, assessment_a
):
    """The page's header shows the unit's own total; saving an appraised value changes only the
    appraisal's total beside the button."""
    from scoring.models import Assessment

    open_sheet(page, log_in, live_server, assessment_a)
    leaf(page, "2.2").locator("input[name$='-count']").fill("1")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(".savebar [data-save-status]")).to_contain_text("Đã lưu")
    own = page.locator("[data-self-total]").inner_text()
    Assessment.objects.filter(pk=assessment_a.pk).update(state=Assessment.State.SUBMITTED)

    log_in(page, "thamdinh", PASSWORD)
    page.goto(f"{live_server.url}/danh-gia/phieu/{assessment_a.pk}/tham-dinh/")
    leaf(page, "2.2").locator("input[name$='-count']").fill("3")
    leaf(page, "2.2").locator("textarea").fill("Theo hồ sơ kiểm tra")
    page.get_by_role("button", name="Lưu thẩm định").click()
    expect(page.locator(".savebar [data-save-status]")).to_contain_text("Đã lưu")
    assert page.locator("[data-self-total]").inner_text() == own

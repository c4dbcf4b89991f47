"""§4 Documents: the minutes and the conclusion notice, built from the recorded visit, laid out
under Decree 30/2020/NĐ-CP, previewed, issued (frozen), corrected by replacement and exported."""

import datetime as dt
import re
import shutil
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from inspections.models import Finding, InspectionDocument, RemedialAction, Visit, VisitCheck
from inspections.services.documents import (
    DocumentError,
    document_issue,
    document_number_normalize,
    document_save_draft,
    recipient_lines,
)

POPPLER = all(shutil.which(tool) for tool in ("pdfinfo", "pdffonts", "pdftotext"))
STRENGTH = "Tiếp nhận 11.999 hồ sơ, giải quyết đúng hạn 11.801 hồ sơ, sớm hạn 194 hồ sơ"
SHORTCOMING = "Chậm ban hành kế hoạch CCHC năm"
CAUSE = "Công tác tham mưu của bộ phận phụ trách CCHC chưa kịp thời"
REQUEST = "Xây dựng kế hoạch cải cách hành chính để triển khai đạt hiệu quả"
NOTICE_DATE = dt.date(2026, 3, 5)


def _place() -> str:
    province = settings.PROVINCE_NAME
    for prefix in ("tỉnh ", "thành phố "):
        if province.lower().startswith(prefix):
            return province[len(prefix):]
    return province


def _poppler(tool, pdf: bytes, tmp_path, *args) -> str:
    if not POPPLER:
        pytest.skip("poppler-utils (pdfinfo, pdffonts, pdftotext) not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    command = [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _text(pdf: bytes, tmp_path, *args) -> str:
    """pdftotext with whitespace collapsed, so a sentence wrapped over lines is found whole."""
    return re.sub(r"\s+", " ", _poppler("pdftotext", pdf, tmp_path, *args))


@pytest.fixture
def recorded(visit_a, units, cast):
    """Visit A as the delegation recorded it on site."""
    tz = timezone.get_current_timezone()
    visit_a.started_at = dt.datetime(2026, 2, 26, 14, 0, tzinfo=tz)
    visit_a.ended_at = dt.datetime(2026, 2, 26, 17, 15, tzinfo=tz)
    visit_a.place = "trụ sở Sở Giáo dục và Đào tạo"
    visit_a.unit_attendees = "Hoàng Văn Em – Phó Giám đốc Sở\nPhạm Thu Dung – Chuyên viên Văn phòng Sở"
    visit_a.unit_opinion = "Thống nhất với kết quả kiểm tra của Đoàn."
    visit_a.status = Visit.Status.DONE
    visit_a.save()
    area = visit_a.plan.areas.get(code="2")
    VisitCheck.objects.create(visit=visit_a, area=area, checked=True, result="Rà soát 125/125 TTHC, đạt 100%")
    Finding.objects.create(visit=visit_a, kind="strength", text=STRENGTH, position=1, created_by=cast["inspector"])
    Finding.objects.create(
        visit=visit_a, kind="strength", text="Chữ ký số được triển khai trong tiếp nhận, giải quyết TTHC", position=2
    )
    shortcoming = Finding.objects.create(visit=visit_a, kind="shortcoming", text=SHORTCOMING, cause=CAUSE, position=1)
    RemedialAction.objects.create(finding=shortcoming, text=REQUEST, responsible_unit=units["a"])
    return visit_a


def _form(**overrides):
    data = {
        "number": "12/TB-SNV",
        "issue_date": "05/03/2026",
        "place": _place(),
        "parent_agency": "UBND TỈNH HÒA BÌNH XANH",
        "issuing_agency": "SỞ NỘI VỤ",
        "legal_bases": "Căn cứ Kế hoạch số 15/KH-SNV ngày 20/02/2026 của Sở Nội vụ về kiểm tra công tác CCHC năm 2026\n"
        "Căn cứ kết quả kiểm tra ngày 26/02/2026",
        "summary": "",
        "signer_authority": "KT. GIÁM ĐỐC",
        "signer_title": "PHÓ GIÁM ĐỐC",
        "signer_name": "Nguyễn Thị Hoa",
        "recipients": "Sở Giáo dục và Đào tạo\nUBND tỉnh (để báo cáo)\nLưu: VT, CCHC",
        "action": "save",
    }
    data.update(overrides)
    return data


def _edit_url(visit, kind="notice"):
    return reverse("inspections:document_edit", args=[visit.pk, kind])


def _draft(visit, kind="notice", **overrides) -> InspectionDocument:
    data = {k: v for k, v in _form(**overrides).items() if k != "action"}
    data["issue_date"] = dt.datetime.strptime(data["issue_date"], "%d/%m/%Y").date() if data["issue_date"] else None
    return document_save_draft(visit=visit, kind=kind, user=None, data=data)


def _issued(visit, admin, kind="notice", **overrides) -> InspectionDocument:
    return document_issue(document=_draft(visit, kind, **overrides), user=admin)


def _pdf(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# ---------------------------------------------------------------- the form and its defaults


def test_new_notice_form_is_prefilled_from_plan_and_organizer(recorded, cast, login):
    response = login(cast["admin"]).get(_edit_url(recorded))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["issuing_agency"] == "SỞ NỘI VỤ"
    assert form.initial["parent_agency"] == f"UBND {settings.PROVINCE_NAME}".upper()
    assert form.initial["legal_bases"].startswith("Căn cứ Kế hoạch số 15/KH-SNV của Sở Nội vụ về kiểm tra công tác CCHC năm 2026;")
    assert form.initial["signer_authority"] == "KT. GIÁM ĐỐC"
    assert form.initial["signer_name"] == "Nguyễn Thị Hoa"  # the head is a deputy director
    assert form.initial["recipients"].splitlines()[-1] == "Lưu: VT, CCHC"
    minutes = login(cast["admin"]).get(_edit_url(recorded, "minutes")).context["form"]
    assert minutes.initial["signer_title"] == "TRƯỞNG ĐOÀN KIỂM TRA"
    assert minutes.initial["issue_date"] == dt.date(2026, 2, 26)


def test_save_draft_then_bad_number_keeps_what_was_typed(recorded, cast, login):
    client = login(cast["admin"])
    response = client.post(_edit_url(recorded), _form(number="5/tb-snv"))
    document = InspectionDocument.objects.get(visit=recorded, kind="notice")
    assert response.status_code == 302 and response["Location"] == reverse("inspections:document", args=[document.pk])
    assert document.number == "05/TB-SNV" and document.status == "draft"
    response = client.post(_edit_url(recorded), _form(number="số mười hai", signer_name="Trần Văn Mới", issue_date="31/02/2026"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "ví dụ 12/TB-SNV" in html and "dd/mm/yyyy" in html
    assert 'value="số mười hai"' in html and 'value="Trần Văn Mới"' in html
    document.refresh_from_db()
    assert document.number == "05/TB-SNV" and document.signer_name == "Nguyễn Thị Hoa"


def test_number_normalisation():
    assert document_number_normalize(" 12 / tb-snv ") == "12/TB-SNV"
    assert document_number_normalize("7/BB-ĐKT") == "07/BB-ĐKT"
    with pytest.raises(DocumentError):
        document_number_normalize("TB-SNV")
    assert recipient_lines("- Lưu: VT\nSở Tư pháp;\nUBND tỉnh.") == ["- Sở Tư pháp;", "- UBND tỉnh;", "- Lưu: VT."]
    assert recipient_lines("Sở Tư pháp") == ["- Sở Tư pháp;", "- Lưu: VT, CCHC."]


# ---------------------------------------------------------------- the PDFs


def test_issued_notice_pdf_layout_and_recorded_text(recorded, cast, login, tmp_path):
    # Enough findings for a second page, so page numbering can be checked.
    for n in range(12):
        Finding.objects.create(visit=recorded, kind="strength", text=f"Ưu điểm bổ sung số {n + 1} về công tác cải cách hành chính "
                               "của đơn vị được ghi nhận trong quá trình kiểm tra thực tế tại trụ sở", position=10 + n)
    client = login(cast["admin"])
    assert client.post(_edit_url(recorded), _form(action="issue")).status_code == 302
    document = InspectionDocument.objects.get(visit=recorded, kind="notice")
    assert document.is_issued
    response = client.get(reverse("inspections:document_pdf", args=[document.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    pdf = _pdf(response)

    info = _poppler("pdfinfo", pdf, tmp_path)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 2
    fonts = [line.split() for line in _poppler("pdffonts", pdf, tmp_path).splitlines()[2:]]
    assert fonts and all(re.search(r"Liberation-?Serif", row[0]) and row[-5] == "yes" for row in fonts), fonts

    text = _text(pdf, tmp_path)
    for phrase in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "UBND TỈNH HÒA BÌNH XANH", "SỞ NỘI VỤ",
        "Số: 12/TB-SNV", f"{_place()}, ngày 05 tháng 3 năm 2026", "THÔNG BÁO",
        "Kết luận kiểm tra công tác cải cách hành chính tại Sở Giáo dục và Đào tạo",
        "Căn cứ Kế hoạch số 15/KH-SNV ngày 20/02/2026 của Sở Nội vụ về kiểm tra công tác CCHC năm 2026;",
        "Căn cứ kết quả kiểm tra ngày 26/02/2026.", "Ngày 26/02/2026", "Nguyễn Thị Hoa, Phó Giám đốc Sở Nội vụ làm Trưởng đoàn",
        "I. ƯU ĐIỂM", STRENGTH, "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", SHORTCOMING, CAUSE,
        "III. KIẾN NGHỊ, YÊU CẦU KHẮC PHỤC", REQUEST, "Đơn vị thực hiện: Sở Giáo dục và Đào tạo; thời hạn hoàn thành: 20/03/2026.",
        "trước ngày 20/03/2026", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Thị Hoa", "Nơi nhận:",
        "- Sở Giáo dục và Đào tạo;", "- Lưu: VT, CCHC.",
    ):
        assert phrase in text, phrase
    assert "DỰ THẢO" not in text
    first = _poppler("pdftotext", pdf, tmp_path, "-layout", "-f", "1", "-l", "1")
    second = _poppler("pdftotext", pdf, tmp_path, "-layout", "-f", "2", "-l", "2")
    assert first.strip().splitlines()[0].split()[0] == "UBND"  # no page number on page 1
    assert second.strip().splitlines()[0].strip() == "2"


def test_minutes_pdf_follows_form_1_9(recorded, cast, login, tmp_path):
    client = login(cast["inspector"])  # a recorder of the visit prepares the minutes
    response = client.post(
        _edit_url(recorded, "minutes"),
        _form(number="5/BB-ĐKT", issue_date="26/02/2026", signer_authority="", signer_title="TRƯỞNG ĐOÀN KIỂM TRA", recipients=""),
    )
    assert response.status_code == 302
    document = InspectionDocument.objects.get(visit=recorded, kind="minutes")
    pdf = _pdf(client.get(reverse("inspections:document_preview", args=[document.pk])))
    assert "DỰ THẢO" in _text(pdf, tmp_path)
    document = document_issue(document=document, user=cast["admin"])
    pdf = document.pdf.read()
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+", _poppler("pdfinfo", pdf, tmp_path))
    text = _text(pdf, tmp_path)
    for phrase in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số: 05/BB-ĐKT", "BIÊN BẢN",
        "Kiểm tra công tác cải cách hành chính tại Sở Giáo dục và Đào tạo",
        "Căn cứ kết quả kiểm tra ngày 26/02/2026.",
        "Hôm nay, hồi 14 giờ 00 phút, ngày 26 tháng 02 năm 2026, tại trụ sở Sở Giáo dục và Đào tạo",
        "Nguyễn Thị Hoa – Phó Giám đốc Sở Nội vụ – Trưởng đoàn;", "Lê Minh Châu – Chuyên viên, Sở Nội vụ – Thành viên;",
        "Trần Thu – Chuyên viên, Sở Nội vụ – Thư ký.", "Hoàng Văn Em – Phó Giám đốc Sở;",
        "Cải cách thủ tục hành chính", "Rà soát 125/125 TTHC, đạt 100%", STRENGTH, SHORTCOMING, f"Nguyên nhân: {CAUSE}", REQUEST,
        "Thống nhất với kết quả kiểm tra của Đoàn.",
        "Biên bản được lập xong hồi 17 giờ 15 phút cùng ngày, đã đọc lại cho các thành viên tham dự cùng nghe và thống nhất ký tên.",
        "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA", "TRƯỞNG ĐOÀN KIỂM TRA", "THƯ KÝ", "Trần Thu", "Hoàng Văn Em",
    ):
        assert phrase in text, phrase
    assert "DỰ THẢO" not in text


def test_preview_is_inline_with_draft_mark_and_frameable(recorded, cast, login, tmp_path):
    document = _draft(recorded)
    response = login(cast["admin"]).get(reverse("inspections:document_preview", args=[document.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    text = _text(_pdf(response), tmp_path)
    assert "DỰ THẢO" in text and STRENGTH in text
    # a draft has no stored PDF: the download link leads to the preview
    response = login(cast["admin"]).get(reverse("inspections:document_pdf", args=[document.pk]))
    assert response.status_code == 302 and response["Location"].endswith("/xem-truoc/")
    page = login(cast["admin"]).get(reverse("inspections:document", args=[document.pk]))
    assert page.status_code == 200 and reverse("inspections:document_preview", args=[document.pk]) in page.content.decode()


# ---------------------------------------------------------------- issuing and freezing


def test_issuing_freezes_the_document(recorded, cast, login, tmp_path):
    client = login(cast["admin"])
    document = _draft(recorded)
    response = client.post(reverse("inspections:document_issue", args=[document.pk]))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.is_issued and document.issued_by == cast["admin"] and document.issued_at
    assert document.content["strengths"][0]["text"] == STRENGTH
    stored = document.pdf.read()
    assert stored.startswith(b"%PDF")

    Finding.objects.filter(visit=recorded, text=STRENGTH).update(text="Đã sửa sau khi ban hành")
    downloaded = _pdf(client.get(reverse("inspections:document_pdf", args=[document.pk])))
    assert downloaded == stored
    assert STRENGTH in _text(downloaded, tmp_path)
    assert _pdf(client.get(reverse("inspections:document_preview", args=[document.pk]))) == stored

    assert client.post(_edit_url(recorded), _form(number="99/TB-SNV")).status_code == 403
    assert client.post(reverse("inspections:document_issue", args=[document.pk])).status_code == 403
    assert client.get(_edit_url(recorded)).status_code == 302  # to the issued document, with a message
    document.refresh_from_db()
    assert document.number == "12/TB-SNV" and document.pdf.read() == stored


def test_issuing_notice_sets_default_deadlines_and_concludes_visit(recorded, cast):
    explicit = RemedialAction.objects.create(
        finding=Finding.objects.get(text=SHORTCOMING), text="Công khai TTHC", responsible_unit=recorded.unit, deadline=dt.date(2026, 4, 30)
    )
    _issued(recorded, cast["admin"])
    assert RemedialAction.objects.get(text=REQUEST).deadline == NOTICE_DATE + dt.timedelta(days=15)
    explicit.refresh_from_db()
    assert explicit.deadline == dt.date(2026, 4, 30)
    recorded.refresh_from_db()
    assert recorded.status == Visit.Status.CONCLUDED


def test_default_deadlines_fallback_without_actions_module(recorded, cast, monkeypatch):
    monkeypatch.setitem(sys.modules, "inspections.services.actions", None)  # import raises ImportError
    recorded.plan.remedial_days = 10
    recorded.plan.save()
    _issued(recorded, cast["admin"])
    assert RemedialAction.objects.get(text=REQUEST).deadline == NOTICE_DATE + dt.timedelta(days=10)


def test_issuing_without_number_date_or_signer_is_refused(recorded, cast, login):
    client = login(cast["admin"])
    document = _draft(recorded, number="", issue_date="", signer_name="")
    response = client.post(reverse("inspections:document_issue", args=[document.pk]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Chưa nhập số, ký hiệu văn bản" in html and "Chưa nhập ngày ban hành" in html and "Chưa nhập họ tên người ký" in html
    document.refresh_from_db()
    assert document.status == "draft" and not document.pdf

    # from the form: the typed values stay and the error sits on the field
    response = client.post(_edit_url(recorded), _form(action="issue", number="", signer_name="Phạm Văn Ký", summary="Đoạn bổ sung"))
    assert response.status_code == 400
    assert "Chưa nhập số, ký hiệu văn bản" in str(response.context["form"].errors["number"])
    html = response.content.decode()
    assert 'value="Phạm Văn Ký"' in html and "Đoạn bổ sung" in html
    document.refresh_from_db()
    assert document.status == "draft" and document.signer_name == "Phạm Văn Ký"  # the draft is saved


def test_action_deadline_before_notice_date_is_refused(recorded, cast, login):
    RemedialAction.objects.filter(text=REQUEST).update(deadline=dt.date(2026, 3, 1))
    document = _draft(recorded)
    response = login(cast["admin"]).post(reverse("inspections:document_issue", args=[document.pk]))
    assert response.status_code == 400
    html = response.content.decode()
    assert REQUEST in html and "01/03/2026" in html and "trước ngày thông báo kết luận" in html
    document.refresh_from_db()
    recorded.refresh_from_db()
    assert document.status == "draft" and recorded.status == Visit.Status.DONE


def test_minutes_need_the_recorded_start_time(visit_a, cast):
    document = _draft(visit_a, "minutes", number="05/BB-SNV")
    with pytest.raises(DocumentError, match="thời gian bắt đầu"):
        document_issue(document=document, user=cast["admin"])


def test_same_number_twice_in_a_year_is_refused(recorded, visit_b, cast):
    _issued(recorded, cast["admin"])
    with pytest.raises(DocumentError, match="12/TB-SNV"):
        _issued(visit_b, cast["admin"])


# ---------------------------------------------------------------- corrections


def test_correction_is_a_new_document_that_names_the_replaced_one(recorded, cast, login, tmp_path):
    client = login(cast["admin"])
    original = _issued(recorded, cast["admin"])
    stored = original.pdf.read()
    response = client.post(reverse("inspections:document_replace", args=[original.pk]))
    assert response.status_code == 302 and response["Location"] == _edit_url(recorded)
    draft = InspectionDocument.objects.get(replaces=original)
    assert draft.status == "draft" and draft.number == "" and draft.signer_name == original.signer_name
    assert client.post(reverse("inspections:document_replace", args=[original.pk])).status_code == 302
    assert InspectionDocument.objects.filter(replaces=original).count() == 1  # the same draft again

    assert client.post(_edit_url(recorded), _form(number="13/TB-SNV", issue_date="06/03/2026", action="issue")).status_code == 302
    draft.refresh_from_db()
    assert draft.is_issued
    text = _text(draft.pdf.read(), tmp_path)
    assert "(Thay thế Thông báo số 12/TB-SNV ngày 05/3/2026)" in text
    assert "Số: 13/TB-SNV" in text
    original.refresh_from_db()
    assert original.is_issued and original.pdf.read() == stored
    response = client.post(reverse("inspections:document_replace", args=[original.pk]), follow=True)
    assert "đã được thay thế" in response.content.decode()


# ---------------------------------------------------------------- access


def test_access_matrix(recorded, visit_b, cast, login):
    draft = _draft(recorded, "minutes", number="05/BB-SNV", issue_date="26/02/2026")
    issued = _issued(recorded, cast["admin"])
    other = _draft(visit_b, number="20/TB-SNV")

    def status(user, name, doc, method="get"):
        client = login(user)
        return getattr(client, method)(reverse(f"inspections:{name}", args=[doc.pk])).status_code

    for name in ("document", "document_preview", "document_pdf"):
        # the unit: only issued documents of its own visits
        assert status(cast["staff_a"], name, issued) == 200
        assert status(cast["head_a"], name, issued) == 200
        assert status(cast["staff_a"], name, draft) == 404
        # another unit, a viewer, a commune: nothing
        for user in ("staff_b", "viewer", "staff_x", "appraiser"):
            assert status(cast[user], name, issued) == 404, (user, name)
        # the inspector: documents of his visits, drafts too; not those of another visit
        assert status(cast["inspector"], name, draft) in (200, 302)
        assert status(cast["inspector"], name, issued) == 200
        assert status(cast["inspector"], name, other) == 404
        assert status(cast["admin"], name, other) in (200, 302)

    # edit form: Home Affairs both kinds; the delegation's recorders the minutes; the unit never
    assert login(cast["inspector"]).get(_edit_url(recorded, "minutes")).status_code == 200
    assert login(cast["inspector"]).get(_edit_url(recorded, "notice")).status_code in (302, 403)
    assert login(cast["inspector"]).post(_edit_url(recorded, "notice"), _form()).status_code == 403
    assert login(cast["inspector"]).get(_edit_url(visit_b, "minutes")).status_code == 404
    assert login(cast["staff_a"]).get(_edit_url(recorded, "minutes")).status_code == 403
    assert login(cast["staff_b"]).get(_edit_url(recorded, "minutes")).status_code == 404
    assert login(cast["admin"]).get(_edit_url(recorded, "rubbish")).status_code == 404

    # issuing and replacing: Home Affairs only
    assert status(cast["inspector"], "document_issue", draft, "post") == 403
    assert status(cast["staff_a"], "document_issue", draft, "post") == 404
    assert status(cast["staff_a"], "document_replace", issued, "post") == 403
    assert status(cast["staff_b"], "document_replace", issued, "post") == 404
    assert status(cast["inspector"], "document_replace", issued, "post") == 403
    assert status(cast["admin"], "document_issue", draft, "get") == 405
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert not InspectionDocument.objects.filter(replaces=issued).exists()


def test_anonymous_goes_to_login(recorded, cast, client):
    issued = _issued(recorded, cast["admin"])
    response = client.get(reverse("inspections:document_pdf", args=[issued.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_documents_partial_lists_visible_documents(recorded, cast, rf):
    from django.template.loader import render_to_string

    from accounts.access import documents_for

    _draft(recorded, "minutes", number="05/BB-SNV")
    issued = _issued(recorded, cast["admin"])
    request = rf.get("/")
    request.user = cast["staff_a"]
    html = render_to_string(
        "inspections/_documents.html",
        {"visit": recorded, "documents": documents_for(cast["staff_a"]).filter(visit=recorded), "can_manage": False},
        request=request,
    )
    assert reverse("inspections:document_pdf", args=[issued.pk]) in html
    assert "05/BB-SNV" not in html and "Ban hành</button>" not in html
    request.user = cast["admin"]
    html = render_to_string(
        "inspections/_documents.html",
        {"visit": recorded, "documents": documents_for(cast["admin"]).filter(visit=recorded), "can_manage": True},
        request=request,
    )
    assert "05/BB-SNV" in html and "Tạo văn bản thay thế" in html


# ---------------------------------------------------------------- export


def test_export_documents_writes_the_stored_pdfs(recorded, visit_b, cast, tmp_path, capsys):
    minutes = _issued(recorded, cast["admin"], "minutes", number="05/BB-ĐKT", issue_date="26/02/2026")
    notice = _issued(recorded, cast["admin"])
    from inspections.services.documents import document_replace

    correction = document_replace(document=notice, user=cast["admin"])
    correction.number, correction.issue_date = "13/TB-SNV", dt.date(2026, 3, 6)
    correction.save()
    correction = document_issue(document=correction, user=cast["admin"])
    _draft(visit_b, number="20/TB-SNV")  # a draft is never exported

    out = tmp_path / "export"
    call_command("export_documents", year=2026, output=str(out))
    files = sorted(p.name for p in out.iterdir())
    assert files == [
        "SGDDT_bien-ban_05-BB-DKT.pdf",
        "SGDDT_thong-bao-ket-luan_12-TB-SNV.pdf",
        "SGDDT_thong-bao-ket-luan_13-TB-SNV.pdf",
    ]
    assert (out / "SGDDT_thong-bao-ket-luan_12-TB-SNV.pdf").read_bytes() == notice.pdf.read()
    assert (out / "SGDDT_thong-bao-ket-luan_13-TB-SNV.pdf").read_bytes() == correction.pdf.read()
    assert (out / "SGDDT_bien-ban_05-BB-DKT.pdf").read_bytes() == minutes.pdf.read()
    assert "3 văn bản" in capsys.readouterr().out

    call_command("export_documents", year=2025, output=str(tmp_path / "none"))
    assert list((tmp_path / "none").iterdir()) == []
    assert "0 văn bản" in capsys.readouterr().out

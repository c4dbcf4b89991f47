"""Evidence of an assessment: files checked by content, stored once, linked to leaves, served to readers only."""

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image

import scoring.evidence
from scoring.evidence import evidence_upload
from scoring.models import EvidenceFile, LeafEvidence
from scoring.services import ScoringError

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "Kế hoạch"
    book.save(buffer)
    return buffer.getvalue()


ALLOWED = {
    "ke-hoach.pdf": (PDF, "application/pdf"),
    "anh.jpg": (image_bytes("JPEG"), "image/jpeg"),
    "anh.jpeg": (image_bytes("JPEG"), "image/jpeg"),
    "anh.png": (image_bytes("PNG"), "image/png"),
    "bao-cao.docx": (docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "so-lieu.xlsx": (xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "cu.doc": (OLE2, "application/msword"),
    "cu.xls": (OLE2, "application/vnd.ms-excel"),
}


def leaf(assessment, code):
    return assessment.round.criteria_set.criteria.get(code=code)


def upload_url(assessment, criterion, name="scoring:evidence_upload"):
    return reverse(name, args=[assessment.pk, criterion.pk])


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post_upload(client, assessment, code, name, content, purpose="self", next_url="/"):
    return client.post(
        upload_url(assessment, leaf(assessment, code)),
        {"file": SimpleUploadedFile(name, content), "purpose": purpose, "next": next_url},
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# ---------------------------------------------------------------- upload and content checks


@pytest.mark.parametrize("name", list(ALLOWED))
def test_upload_each_allowed_type(name, login, cast, assessment_a, settings):
    content, content_type = ALLOWED[name]
    response = post_upload(login(cast["staff_a"]), assessment_a, "1.1.1", name, content)
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get(assessment=assessment_a)
    assert evidence.original_name == name
    assert evidence.content_type == content_type
    assert evidence.size == len(content)
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.uploaded_by == cast["staff_a"]
    assert evidence.file.name.endswith(evidence.sha256)
    assert Path(evidence.file.path).read_bytes() == content
    assert Path(evidence.file.path).is_relative_to(settings.MEDIA_ROOT)
    link = LeafEvidence.objects.get(assessment=assessment_a)
    assert (link.criterion.code, link.file, link.purpose, link.added_by) == ("1.1.1", evidence, "self", cast["staff_a"])


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("anh.pdf", image_bytes("PNG"), "không khớp với phần mở rộng .pdf"),
        ("ghi-chu.pdf", "Đây là văn bản thường".encode(), "không khớp với phần mở rộng .pdf"),
        ("virus.docx", b"MZ\x90\x00" + b"\x00" * 100, "không khớp với phần mở rộng .docx"),
        ("so-lieu.docx", xlsx_bytes(), "không khớp với phần mở rộng .docx"),
        ("hong.xlsx", b"PK\x03\x04 not really a zip", "không khớp với phần mở rộng .xlsx"),
        ("anh.jpg", image_bytes("PNG"), "không khớp với phần mở rộng .jpg"),
        ("cu.doc", PDF, "không khớp với phần mở rộng .doc"),
        ("chay.exe", PDF, "loại tệp không được phép"),
        ("khong-duoi", PDF, "loại tệp không được phép"),
        ("rong.pdf", b"", "rỗng"),
    ],
)
def test_faked_or_unknown_files_are_refused(name, content, expected, login, cast, assessment_a, settings):
    response = post_upload(login(cast["staff_a"]), assessment_a, "1.1.1", name, content)
    assert response.status_code == 302
    [message] = messages_of(response)
    assert expected in message
    if "không khớp" in expected or "không được phép" in expected:
        assert "Chỉ nhận tệp PDF, Word (.doc, .docx), Excel (.xls, .xlsx), ảnh JPG, PNG" in message
    assert not EvidenceFile.objects.exists()
    assert not LeafEvidence.objects.exists()
    assert stored_files(settings) == []


def test_file_over_the_limit_is_refused(monkeypatch, login, cast, assessment_a, settings):
    monkeypatch.setattr(scoring.evidence, "MAX_BYTES", 1024)
    client = login(cast["staff_a"])
    response = post_upload(client, assessment_a, "1.1.1", "lon.pdf", PDF + b"0" * 2000)
    assert "vượt quá" in messages_of(response)[0]
    assert not EvidenceFile.objects.exists() and stored_files(settings) == []
    post_upload(client, assessment_a, "1.1.1", "nho.pdf", PDF)
    assert EvidenceFile.objects.count() == 1


def test_same_content_is_stored_once_and_serves_two_criteria(login, cast, assessment_a, settings):
    client = login(cast["staff_a"])
    post_upload(client, assessment_a, "1.1.1", "ke-hoach.pdf", PDF)
    post_upload(client, assessment_a, "1.1.2", "ke-hoach-ban-sao.pdf", PDF)
    post_upload(client, assessment_a, "1.1.2", "lan-nua.pdf", PDF)  # same leaf again: no second link
    evidence = EvidenceFile.objects.get()
    assert evidence.original_name == "ke-hoach.pdf"
    assert sorted(evidence.links.values_list("criterion__code", flat=True)) == ["1.1.1", "1.1.2"]
    assert len(stored_files(settings)) == 1


def test_link_an_uploaded_file_to_another_criterion(login, cast, assessment_a, assessment_b):
    client = login(cast["staff_a"])
    post_upload(client, assessment_a, "1.1.1", "ke-hoach.pdf", PDF)
    evidence = EvidenceFile.objects.get()
    url = upload_url(assessment_a, leaf(assessment_a, "2.1"), "scoring:evidence_link")
    response = client.post(url, {"file": evidence.pk, "purpose": "self", "next": "/"})
    assert response.status_code == 302
    assert sorted(evidence.links.values_list("criterion__code", flat=True)) == ["1.1.1", "2.1"]
    # A file of another assessment cannot be attached.
    other = EvidenceFile.objects.create(
        assessment=assessment_b, original_name="b.pdf", content_type="application/pdf", size=1, sha256="b" * 64
    )
    assert client.post(url, {"file": other.pk, "next": "/"}).status_code == 404


def test_criterion_must_be_a_leaf_of_the_assessments_set(login, cast, assessment_a, xa_draft):
    client = login(cast["staff_a"])
    domain = leaf(assessment_a, "1")
    foreign = xa_draft.criteria.exclude(method="").first()
    for criterion in (domain, foreign):
        response = client.post(upload_url(assessment_a, criterion), {"file": SimpleUploadedFile("a.pdf", PDF)})
        assert response.status_code == 404
    assert not EvidenceFile.objects.exists()


# ---------------------------------------------------------------- document references


def test_document_reference_alone(login, cast, assessment_a):
    client = login(cast["staff_a"])
    url = upload_url(assessment_a, leaf(assessment_a, "1.1.1"), "scoring:evidence_document")
    response = client.post(
        url, {"number": " 137/KH-SGDĐT ", "date": "19/01/2017", "title": "Kế hoạch thực hiện CCHC năm 2017", "purpose": "self", "next": "/"}
    )
    assert response.status_code == 302
    link = LeafEvidence.objects.get()
    assert link.file is None
    assert link.document_date == dt.date(2017, 1, 19)
    assert link.document_label == "137/KH-SGDĐT ngày 19/01/2017 – Kế hoạch thực hiện CCHC năm 2017"


def test_document_reference_beside_a_file(login, cast, assessment_a):
    client = login(cast["staff_a"])
    url = upload_url(assessment_a, leaf(assessment_a, "1.1.2"), "scoring:evidence_document")
    client.post(url, {"number": "12/QĐ-UBND", "date": "", "title": "", "file": SimpleUploadedFile("qd.pdf", PDF), "next": "/"})
    link = LeafEvidence.objects.get()
    assert link.document_label == "12/QĐ-UBND"
    assert link.file.original_name == "qd.pdf" and link.file.content_type == "application/pdf"
    # With a file already uploaded, chosen from the list.
    client.post(url, {"number": "13/BC-UBND", "existing": link.file.pk, "next": "/"})
    assert LeafEvidence.objects.filter(file=link.file).count() == 2
    assert EvidenceFile.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"number": "", "date": "19/01/2017", "title": "Kế hoạch"}, "Cần nhập số, ký hiệu văn bản."),
        ({"number": "137/KH-SGDĐT", "date": "31/02/2017", "title": "Kế hoạch"}, "Ngày văn bản “31/02/2017” không hợp lệ"),
        ({"number": "137/KH-SGDĐT", "date": "2017-01-19x", "title": "Kế hoạch"}, "dd/mm/yyyy"),
    ],
)
def test_document_errors_keep_what_was_typed(data, expected, login, cast, assessment_a, settings):
    client = login(cast["staff_a"])
    criterion = leaf(assessment_a, "1.1.1")
    url = upload_url(assessment_a, criterion, "scoring:evidence_document")
    response = client.post(url, {**data, "file": SimpleUploadedFile("kem.pdf", PDF), "purpose": "self", "next": "/trang/"})
    assert response.status_code == 302 and response["Location"] == "/trang/"
    assert expected in messages_of(response)[0]
    assert not LeafEvidence.objects.exists() and not EvidenceFile.objects.exists() and stored_files(settings) == []
    typed = client.session["evidence_form"]
    assert typed == {"key": f"self-{criterion.pk}", "number": data["number"], "date": data["date"], "title": data["title"]}
    # The partial of that leaf reopens the form with the values; another leaf's partial does not.
    request = RequestFactory().get("/trang/")
    request.user, request.session = cast["staff_a"], client.session
    context = {"assessment": assessment_a, "links": [], "files": [], "can_edit": True, "purpose": "self"}
    html = render_to_string("scoring/_evidence.html", {**context, "criterion": criterion}, request=request)
    assert f'value="{data["date"]}"' in html and "<details open>" in html
    html = render_to_string("scoring/_evidence.html", {**context, "criterion": leaf(assessment_a, "1.1.2")}, request=request)
    assert "<details open>" not in html and f'value="{data["date"]}"' not in html
    # A successful attempt forgets them.
    client.post(url, {"number": "137/KH-SGDĐT", "date": "19/01/2017", "next": "/"})
    assert "evidence_form" not in client.session


# ---------------------------------------------------------------- removal


def test_remove_keeps_a_file_linked_elsewhere_and_deletes_the_last(login, cast, assessment_a, settings, django_capture_on_commit_callbacks):
    client = login(cast["staff_a"])
    post_upload(client, assessment_a, "1.1.1", "ke-hoach.pdf", PDF)
    post_upload(client, assessment_a, "2.1", "ke-hoach.pdf", PDF)
    evidence = EvidenceFile.objects.get()
    first, second = evidence.links.order_by("pk")
    path = Path(evidence.file.path)

    def remove(link):
        url = reverse("scoring:evidence_remove", args=[assessment_a.pk, link.criterion_id, link.pk])
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, {"next": "/"})

    assert remove(first).status_code == 302
    assert EvidenceFile.objects.filter(pk=evidence.pk).exists() and path.exists()
    assert remove(second).status_code == 302
    assert not EvidenceFile.objects.exists() and not path.exists()
    assert not LeafEvidence.objects.exists()


def test_remove_a_link_through_the_wrong_leaf_is_404(login, cast, assessment_a):
    client = login(cast["staff_a"])
    post_upload(client, assessment_a, "1.1.1", "ke-hoach.pdf", PDF)
    link = LeafEvidence.objects.get()
    url = reverse("scoring:evidence_remove", args=[assessment_a.pk, leaf(assessment_a, "1.1.2").pk, link.pk])
    assert client.post(url).status_code == 404
    assert LeafEvidence.objects.exists()


# ---------------------------------------------------------------- serving


def test_serve_pdf_inline_and_xlsx_as_attachment(login, cast, assessment_a):
    client = login(cast["staff_a"])
    post_upload(client, assessment_a, "1.1.1", "Kế hoạch 2026.pdf", PDF)
    post_upload(client, assessment_a, "2.1", "so-lieu.xlsx", ALLOWED["so-lieu.xlsx"][0])
    pdf = EvidenceFile.objects.get(content_type="application/pdf")
    xlsx = EvidenceFile.objects.exclude(pk=pdf.pk).get()

    response = client.get(reverse("scoring:evidence_file", args=[assessment_a.pk, pdf.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "filename*=utf-8''K%E1%BA%BF%20ho%E1%BA%A1ch%202026.pdf" in response["Content-Disposition"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF

    response = client.get(reverse("scoring:evidence_file", args=[assessment_a.pk, xlsx.pk]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="so-lieu.xlsx"'
    assert b"".join(response.streaming_content) == ALLOWED["so-lieu.xlsx"][0]


def test_file_of_another_assessment_is_404_through_this_one(login, cast, assessment_a, assessment_b):
    post_upload(login(cast["staff_b"]), assessment_b, "1.1.1", "b.pdf", PDF)
    evidence = EvidenceFile.objects.get()
    client = login(cast["admin"])
    assert client.get(reverse("scoring:evidence_file", args=[assessment_a.pk, evidence.pk])).status_code == 404
    assert client.get(reverse("scoring:evidence_file", args=[assessment_b.pk, evidence.pk])).status_code == 200


# ---------------------------------------------------------------- who may do what


def test_other_unit_gets_404_for_everything(login, cast, assessment_a):
    post_upload(login(cast["staff_a"]), assessment_a, "1.1.1", "ke-hoach.pdf", PDF)
    evidence, link = EvidenceFile.objects.get(), LeafEvidence.objects.get()
    criterion = leaf(assessment_a, "1.1.1")
    for user in (cast["staff_b"], cast["staff_x"]):
        client = login(user)
        assert client.get(reverse("scoring:evidence_file", args=[assessment_a.pk, evidence.pk])).status_code == 404
        assert client.post(upload_url(assessment_a, criterion), {"file": SimpleUploadedFile("x.pdf", PDF + b"x")}).status_code == 404
        assert client.post(upload_url(assessment_a, criterion, "scoring:evidence_link"), {"file": evidence.pk}).status_code == 404
        assert client.post(upload_url(assessment_a, criterion, "scoring:evidence_document"), {"number": "1/KH"}).status_code == 404
        remove = reverse("scoring:evidence_remove", args=[assessment_a.pk, criterion.pk, link.pk])
        assert client.post(remove).status_code == 404
    assert EvidenceFile.objects.count() == 1 and LeafEvidence.objects.count() == 1


def test_readers_may_open_files_but_not_change_them(login, cast, assessment_a):
    post_upload(login(cast["staff_a"]), assessment_a, "1.1.1", "ke-hoach.pdf", PDF)
    evidence, link = EvidenceFile.objects.get(), LeafEvidence.objects.get()
    criterion = leaf(assessment_a, "1.1.1")
    for user in (cast["appraiser"], cast["viewer"], cast["admin"]):
        client = login(user)
        assert client.get(reverse("scoring:evidence_file", args=[assessment_a.pk, evidence.pk])).status_code == 200
        response = client.post(upload_url(assessment_a, criterion), {"file": SimpleUploadedFile("x.pdf", PDF + b"x")})
        assert response.status_code == 403
        assert client.post(upload_url(assessment_a, criterion, "scoring:evidence_document"), {"number": "1/KH"}).status_code == 403
        remove = reverse("scoring:evidence_remove", args=[assessment_a.pk, criterion.pk, link.pk])
        assert client.post(remove).status_code == 403
    assert EvidenceFile.objects.count() == 1 and LeafEvidence.objects.count() == 1


def test_anonymous_is_sent_to_log_in(client, assessment_a):
    response = client.post(upload_url(assessment_a, leaf(assessment_a, "1.1.1")))
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


def test_nothing_changes_after_submission(login, cast, assessment_a, settings):
    client = login(cast["head_a"])
    post_upload(client, assessment_a, "1.1.1", "ke-hoach.pdf", PDF)
    link = LeafEvidence.objects.get()
    assessment_a.state = "submitted"
    assessment_a.save()
    criterion = leaf(assessment_a, "1.1.1")
    assert post_upload(client, assessment_a, "1.1.2", "moi.pdf", PDF + b"moi").status_code == 403
    assert client.post(upload_url(assessment_a, criterion, "scoring:evidence_link"), {"file": link.file_id}).status_code == 403
    assert client.post(upload_url(assessment_a, criterion, "scoring:evidence_document"), {"number": "1/KH"}).status_code == 403
    remove = reverse("scoring:evidence_remove", args=[assessment_a.pk, criterion.pk, link.pk])
    assert client.post(remove).status_code == 403
    assert EvidenceFile.objects.count() == 1 and LeafEvidence.objects.count() == 1 and len(stored_files(settings)) == 1
    # Still readable.
    assert client.get(reverse("scoring:evidence_file", args=[assessment_a.pk, link.file_id])).status_code == 200


def test_nothing_changes_after_the_self_deadline(login, cast, assessment_a, round_so):
    round_so.self_deadline = timezone.localdate() - dt.timedelta(days=1)
    round_so.save()
    response = post_upload(login(cast["staff_a"]), assessment_a, "1.1.1", "ke-hoach.pdf", PDF)
    assert response.status_code == 403
    assert not EvidenceFile.objects.exists()
    # Reopened by Home Affairs until tomorrow: allowed again.
    assessment_a.reopened_until = timezone.localdate() + dt.timedelta(days=1)
    assessment_a.save()
    assert post_upload(login(cast["staff_a"]), assessment_a, "1.1.1", "ke-hoach.pdf", PDF).status_code == 302
    assert EvidenceFile.objects.count() == 1


def test_service_rechecks_the_state(cast, assessment_a):
    """A POST that passed the view's check while the head submitted: the locked re-check refuses it."""
    assessment_a.state = "submitted"
    assessment_a.save()
    with pytest.raises(ScoringError, match="Phiếu đã nộp"):
        evidence_upload(
            assessment=assessment_a, criterion=leaf(assessment_a, "1.1.1"), uploaded_file=SimpleUploadedFile("a.pdf", PDF), user=cast["staff_a"]
        )
    assert not EvidenceFile.objects.exists()


def test_explanation_evidence_only_in_the_explanation_round(login, cast, assessment_a):
    client = login(cast["staff_a"])
    assert post_upload(client, assessment_a, "1.1.1", "gt.pdf", PDF, purpose="explanation").status_code == 403
    assessment_a.state = "explanation"
    assessment_a.save()
    assert post_upload(client, assessment_a, "1.1.1", "gt.pdf", PDF, purpose="explanation").status_code == 302
    assert LeafEvidence.objects.get().purpose == "explanation"
    assert post_upload(client, assessment_a, "1.1.1", "tc.pdf", PDF + b"1", purpose="self").status_code == 403
    assert post_upload(client, assessment_a, "1.1.1", "x.pdf", PDF + b"2", purpose="bogus").status_code == 403
    assert EvidenceFile.objects.count() == 1


def test_next_must_stay_on_this_site(login, cast, assessment_a):
    client = login(cast["staff_a"])
    response = post_upload(client, assessment_a, "1.1.1", "a.pdf", PDF, next_url="https://evil.example/")
    assert response.status_code == 302 and "evil" not in response["Location"]
    response = post_upload(client, assessment_a, "1.1.1", "a.pdf", PDF, next_url="/danh-gia/#ev-self-1")
    assert response["Location"] == "/danh-gia/#ev-self-1"


# ---------------------------------------------------------------- the partial


def test_partial_lists_links_and_shows_forms_only_to_editors(login, cast, assessment_a):
    client = login(cast["staff_a"])
    post_upload(client, assessment_a, "1.1.1", "ke-hoach.pdf", PDF)
    client.post(
        upload_url(assessment_a, leaf(assessment_a, "1.1.1"), "scoring:evidence_document"),
        {"number": "137/KH-SGDĐT", "date": "19/01/2017", "title": "Kế hoạch", "next": "/"},
    )
    criterion = leaf(assessment_a, "1.1.1")
    links = LeafEvidence.objects.filter(assessment=assessment_a, criterion=criterion).select_related("file__uploaded_by", "added_by")
    request = RequestFactory().get("/")
    request.user, request.session = cast["staff_a"], client.session
    context = {"assessment": assessment_a, "criterion": criterion, "links": links, "files": assessment_a.files.all(), "purpose": "self"}
    html = render_to_string("scoring/_evidence.html", {**context, "can_edit": True}, request=request)
    file_url = reverse("scoring:evidence_file", args=[assessment_a.pk, EvidenceFile.objects.get().pk])
    assert f'href="{file_url}" target="_blank"' in html
    assert "137/KH-SGDĐT ngày 19/01/2017 – Kế hoạch" in html
    assert 'accept=".pdf,.doc,.docx,.xls,.xlsx,.jpg,.jpeg,.png"' in html and 'enctype="multipart/form-data"' in html
    assert html.count("/xoa/") == 2
    assert reverse("scoring:evidence_link", args=[assessment_a.pk, criterion.pk]) in html
    html = render_to_string("scoring/_evidence.html", {**context, "can_edit": False}, request=request)
    assert "ke-hoach.pdf" in html and "/xoa/" not in html and "<form" not in html
    # On the explanation page the unit may add explanation evidence but not remove self-assessment links.
    html = render_to_string("scoring/_evidence.html", {**context, "can_edit": True, "purpose": "explanation"}, request=request)
    assert "ke-hoach.pdf" in html and "/xoa/" not in html and 'name="purpose" value="explanation"' in html


def test_adding_and_removing_evidence_leaves_a_trace(assessment_a, cast):
    from scoring.evidence import evidence_add_document, evidence_remove
    from scoring.models import ValueChange

    criterion = assessment_a.round.criteria_set.criteria.get(code="1.1.1")
    link = evidence_add_document(
        assessment=assessment_a, criterion=criterion, number="137/KH-SGDĐT", date="19/01/2017", title="Kế hoạch CCHC", user=cast["staff_a"]
    )
    evidence_remove(link=link, user=cast["staff_a"])
    trail = list(ValueChange.objects.filter(assessment=assessment_a, field="evidence").order_by("pk").values_list("old_value", "new_value", "changed_by"))
    label = "137/KH-SGDĐT ngày 19/01/2017 – Kế hoạch CCHC"
    assert trail == [("", label, cast["staff_a"].pk), (label, "", cast["staff_a"].pk)]

"""Evidence added in place (evidence.js): the upload, attach and document forms posted with
Accept: application/json are answered in JSON with the message and the leaf's evidence block
re-rendered as the page shows it; a plain form post still redirects back to the page."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from scoring.models import EvidenceFile, LeafEvidence

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json", "HTTP_X_REQUESTED_WITH": "fetch"}
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def leaf(assessment, code):
    return assessment.round.criteria_set.criteria.get(code=code)


def page_url(assessment) -> str:
    return reverse("scoring:assessment", args=[assessment.pk])


def post(client, assessment, code, name="scoring:evidence_upload", data=None, **headers):
    criterion = leaf(assessment, code)
    data = {"purpose": "self", "next": f"{page_url(assessment)}#ev-self-{criterion.pk}", **(data or {})}
    return client.post(reverse(name, args=[assessment.pk, criterion.pk]), data, **(headers or JSON))


def upload(client, assessment, code, filename, content=PDF, **headers):
    return post(client, assessment, code, data={"file": SimpleUploadedFile(filename, content)}, **headers)


def test_an_upload_answers_with_the_leafs_evidence_rerendered(login, cast, assessment_a):
    client = login(cast["staff_a"])
    response = upload(client, assessment_a, "1.1.1", "bien-ban-hop.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    pk = leaf(assessment_a, "1.1.1").pk
    assert data["ok"] is True and data["message"] == "Đã đính kèm tệp “bien-ban-hop.pdf” vào tiêu chí 1.1.1."
    html = data["html"]
    file_url = reverse("scoring:evidence_file", args=[assessment_a.pk, EvidenceFile.objects.get().pk])
    assert html.strip().startswith(f'<div class="evidence" id="ev-self-{pk}"') and ">bien-ban-hop.pdf</a>" in html
    assert f'href="{file_url}"' in html
    # As on the page: the slot evidence.js fills, and a remove button that returns to the page.
    assert f'data-evidence-forms="{pk}"' in html
    link = LeafEvidence.objects.get()
    assert reverse("scoring:evidence_remove", args=[assessment_a.pk, pk, link.pk]) in html
    assert f'name="next" value="{page_url(assessment_a)}#ev-self-{pk}"' in html
    # The page's forms, whose lists now offer the file to every leaf.
    assert data["forms"].count("bien-ban-hop.pdf") == 2 and 'id="__ev__-file"' in data["forms"]
    assert "data-needs-files hidden" not in data["forms"]
    # Nothing queued for the next page.
    assert 'class="messages"' not in client.get(page_url(assessment_a)).content.decode()


def test_the_block_is_the_one_the_page_shows(login, cast, assessment_a):
    client = login(cast["staff_a"])
    upload(client, assessment_a, "2.1", "so-lieu.pdf", PDF + b"1")
    data = upload(client, assessment_a, "2.1", "bao-cao.pdf", PDF + b"2").json()
    page = client.get(page_url(assessment_a)).content.decode()
    pk = leaf(assessment_a, "2.1").pk
    start = page.index(f'<div class="evidence" id="ev-self-{pk}"')
    block = data["html"].strip()

    def unmasked(html):  # each render masks the CSRF token anew
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert unmasked(block) == unmasked(page[start : start + len(block)])
    assert block.count("<div") == page[start : start + len(block)].count("<div")


def test_refused_files_come_back_in_vietnamese_without_a_block(login, cast, assessment_a):
    client = login(cast["staff_a"])
    response = upload(client, assessment_a, "1.1.1", "virus.exe", b"MZ\x90\x00")
    assert response.status_code == 400
    data = response.json()
    assert data["ok"] is False and data["message"].startswith("Không nhận tệp “virus.exe”: loại tệp không được phép.")
    assert "html" not in data and not EvidenceFile.objects.exists()
    response = post(client, assessment_a, "1.1.1")
    assert response.status_code == 400 and response.json()["message"] == "Chưa chọn tệp để tải lên."
    assert 'class="messages"' not in client.get(page_url(assessment_a)).content.decode()


def test_a_file_over_the_limit_is_refused_in_json(monkeypatch, login, cast, assessment_a):
    import scoring.evidence

    monkeypatch.setattr(scoring.evidence, "MAX_BYTES", 1024)
    data = upload(login(cast["staff_a"]), assessment_a, "1.1.1", "lon.pdf", PDF + b"0" * 2000).json()
    assert data["ok"] is False and "vượt quá" in data["message"]


def test_one_refused_among_several_files_still_shows_the_others(login, cast, assessment_a):
    client = login(cast["staff_a"])
    files = [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.exe", b"MZ")]
    response = post(client, assessment_a, "1.1.1", data={"file": files})
    assert response.status_code == 400
    data = response.json()
    assert data["ok"] is False and "“a.pdf”" in data["message"] and "“b.exe”" in data["message"]
    assert ">a.pdf</a>" in data["html"]


def test_attach_an_uploaded_file_and_cite_a_document_in_place(login, cast, assessment_a):
    client = login(cast["staff_a"])
    upload(client, assessment_a, "1.1.1", "ke-hoach.pdf")
    evidence = EvidenceFile.objects.get()
    data = post(client, assessment_a, "2.1", "scoring:evidence_link", {"file": evidence.pk}).json()
    assert data["ok"] is True and ">ke-hoach.pdf</a>" in data["html"]
    assert f'id="ev-self-{leaf(assessment_a, "2.1").pk}"' in data["html"]

    document = {"number": "12/KH-SGDĐT", "date": "31/02/2026", "title": "Kế hoạch"}
    response = post(client, assessment_a, "2.2", "scoring:evidence_document", document)
    assert response.status_code == 400 and "31/02/2026" in response.json()["message"] and "html" not in response.json()
    # In place, what was typed stays in the page's form: nothing kept for a reload.
    assert "evidence_form" not in client.session
    response = post(client, assessment_a, "2.2", "scoring:evidence_document", {**document, "date": "19/01/2026"})
    assert response.status_code == 200 and "12/KH-SGDĐT ngày 19/01/2026" in response.json()["html"]


def test_another_unit_gets_404_and_a_closed_sheet_a_403_it_can_read(login, cast, assessment_a):
    for who in ("staff_b", "staff_x"):
        assert upload(login(cast[who]), assessment_a, "1.1.1", "x.pdf").status_code == 404
    response = upload(login(cast["viewer"]), assessment_a, "1.1.1", "x.pdf")
    assert response.status_code == 403 and json.loads(response.content)["message"].startswith("Không lưu được")
    assessment_a.state = "submitted"
    assessment_a.save()
    response = upload(login(cast["staff_a"]), assessment_a, "1.1.1", "x.pdf")
    assert response.status_code == 403 and response.json()["ok"] is False
    assert not EvidenceFile.objects.exists()


def test_a_plain_form_post_still_redirects_to_the_leaf(login, cast, assessment_a):
    client = login(cast["staff_a"])
    pk = leaf(assessment_a, "1.1.1").pk
    response = upload(client, assessment_a, "1.1.1", "ke-hoach.pdf", HTTP_ACCEPT="text/html")
    assert response.status_code == 302 and response["Location"] == f"{page_url(assessment_a)}#ev-self-{pk}"
    assert "Đã đính kèm tệp “ke-hoach.pdf”" in client.get(page_url(assessment_a)).content.decode()

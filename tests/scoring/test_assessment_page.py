"""The self-assessment page writes the evidence forms once for the page, not once per leaf; a leaf
gets them written out when its document form was refused or when asked for without JavaScript."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from scoring.models import Stage
from scoring.sheet import build

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def leaf(assessment, code):
    return assessment.round.criteria_set.criteria.get(code=code)


def page(client, assessment, query="") -> str:
    response = client.get(reverse("scoring:assessment", args=[assessment.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def upload(client, assessment, code, name):
    url = reverse("scoring:evidence_upload", args=[assessment.pk, leaf(assessment, code).pk])
    return client.post(url, {"file": SimpleUploadedFile(name, PDF + name.encode()), "purpose": "self", "next": "/"})


def test_it_writes_the_evidence_forms_once_with_a_slot_per_leaf(login, cast, assessment_a):
    client = login(cast["staff_a"])
    upload(client, assessment_a, "1.1.1", "ke-hoach-2026.pdf")
    html = page(client, assessment_a)
    leaves = [r for r in build(assessment_a).leaf_rows() if not r.is_survey]
    assert html.count('<template id="evidence-forms"') == 1
    assert html.count("data-evidence-forms=") == len(leaves)
    # One set of forms (upload, attach an uploaded file, cite a document) and one list of files.
    assert html.count('name="file" multiple') == 1 and html.count("— chọn tệp —") == 1
    template = html.split('<template id="evidence-forms"')[1].split("</template>")[0]
    assert template.count("ke-hoach-2026.pdf") == 2  # the list of files and the document form's list
    assert html.count(">ke-hoach-2026.pdf</a>") == 1  # the leaf's own link
    pattern = reverse("scoring:evidence_upload", args=[assessment_a.pk, 999999999]).replace("999999999", "__leaf__")
    assert f'action="{pattern}"' in html and 'value="__next__"' in html and 'id="__ev__-file"' in html
    assert f'data-evidence-forms="{leaf(assessment_a, "2.1").pk}"' in html
    # Without JavaScript, a link reopens the page with that leaf's forms written out.
    assert f'href="?tai-lieu={leaf(assessment_a, "2.1").pk}#ev-self-{leaf(assessment_a, "2.1").pk}"' in html
    assert "js/evidence.js" in html


def test_it_writes_out_the_forms_of_the_leaf_asked_for(login, cast, assessment_a):
    client = login(cast["staff_a"])
    criterion = leaf(assessment_a, "2.1")
    html = page(client, assessment_a, f"?tai-lieu={criterion.pk}")
    assert f'action="{reverse("scoring:evidence_upload", args=[assessment_a.pk, criterion.pk])}"' in html
    assert f'action="{reverse("scoring:evidence_document", args=[assessment_a.pk, criterion.pk])}"' in html
    assert f'id="ev-self-{criterion.pk}-file"' in html
    assert f'data-evidence-forms="{criterion.pk}"' not in html
    assert html.count("data-evidence-forms=") == html.count('href="?tai-lieu=')
    page(client, assessment_a, "?tai-lieu=x")  # nonsense is ignored


def test_a_refused_document_form_reopens_in_its_leaf_with_what_was_typed(login, cast, assessment_a):
    client = login(cast["staff_a"])
    criterion = leaf(assessment_a, "1.1.2")
    url = reverse("scoring:evidence_document", args=[assessment_a.pk, criterion.pk])
    client.post(url, {"number": "137/KH-SGDĐT", "date": "31/02/2017", "title": "Kế hoạch", "purpose": "self", "next": "/"})
    html = page(client, assessment_a)
    assert html.count("<details open>") == 1 and 'value="31/02/2017"' in html
    assert f'action="{url}"' in html and f'data-evidence-forms="{criterion.pk}"' not in html


def test_readers_get_no_evidence_forms(login, cast, assessment_a):
    client = login(cast["staff_a"])
    upload(client, assessment_a, "1.1.1", "ke-hoach-2026.pdf")
    html = page(login(cast["admin"]), assessment_a)
    assert "evidence-forms" not in html and "<form method=\"post\" enctype" not in html
    assert "ke-hoach-2026.pdf" in html and "Chưa có tài liệu kiểm chứng." in html


def test_a_rejected_save_keeps_the_evidence_slots(login, cast, assessment_a):
    client = login(cast["staff_a"])
    criterion = leaf(assessment_a, "1.2.2")
    response = client.post(
        reverse("scoring:assessment_save", args=[assessment_a.pk]),
        {"_stage": Stage.SELF, f"c{criterion.pk}-present": "1", f"c{criterion.pk}-points": "abc"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and '<template id="evidence-forms"' in html and "data-evidence-forms=" in html


def test_it_shows_the_method_and_rule_of_every_leaf_in_the_language_of_the_page(login, cast, assessment_a):
    client = login(cast["staff_a"])
    html = page(client, assessment_a)
    assert '<span class="badge method">Lựa chọn</span> Ban hành kịp thời: 1 điểm' in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = page(client, assessment_a)
    assert '<span class="badge method">Choice</span>' in html and "Ban hành kịp thời: 1 điểm" not in html


def _count_queries(client, assessment) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page(client, assessment)
    return len(queries.captured_queries)


def test_a_published_criteria_set_is_read_once_per_process_until_a_criterion_changes(login, cast, assessment_a):
    client = login(cast["staff_a"])
    cold = _count_queries(client, assessment_a)
    assert _count_queries(client, assessment_a) == cold - 1  # the criteria come from the process
    criterion = leaf(assessment_a, "2.1")
    criterion.title = "Tiêu chí đã sửa trong quản trị"
    criterion.save()
    assert "Tiêu chí đã sửa trong quản trị" in page(client, assessment_a)


def test_leaf_texts_and_file_names_are_escaped(login, cast, assessment_a):
    assessment_a.round.criteria_set.criteria.filter(code="2.1").update(guidance="<i>Hướng dẫn</i> & ghi chú")
    client = login(cast["staff_a"])
    upload(client, assessment_a, "1.1.1", "<b>bao-cao.pdf")
    html = page(client, assessment_a)
    assert "<i>Hướng dẫn</i>" not in html and "&lt;i&gt;Hướng dẫn&lt;/i&gt; &amp; ghi chú" in html
    assert "<b>bao-cao" not in html and "&lt;b&gt;bao-cao.pdf</a>" in html


def test_domain_and_criterion_headings_show_their_self_points_escaped(login, cast, assessment_a):
    from scoring import engine
    from scoring.services import LeafEntry, values_save

    criteria = assessment_a.round.criteria_set.criteria
    criteria.filter(code="1").update(title="Chỉ đạo <điều hành> & kế hoạch")
    values_save(assessment=assessment_a, stage=Stage.SELF, entries=[LeafEntry(leaf(assessment_a, "1.2.2"), engine.LeafInput(points=Decimal("1.5")))])
    html = page(login(cast["staff_a"]), assessment_a)
    assert "<điều hành>" not in html and "Chỉ đạo &lt;điều hành&gt; &amp; kế hoạch" in html
    # domain 1 and its criterion 1.2 hold the 1,5 points (of 6 for the domain); sheet.js updates data-node
    assert '<h2 class="sheet-node depth-0"><span class="code">1</span>' in html
    assert '<span data-node="1">1,5</span> / 6</span></h2>' in html and '<span data-node="1.2">1,5</span>' in html


def test_the_sheet_flags_a_stored_value_the_rules_refuse_and_counts_the_others(assessment_a):
    """Values are checked when saved; one that a rule refuses anyway (written before the rule changed,
    or by hand) is shown with its error and counted as not entered, while the others still add up."""
    from scoring.models import LeafValue

    LeafValue.objects.create(assessment=assessment_a, criterion=leaf(assessment_a, "1.1.1"), stage=Stage.SELF, option="Ban hành kịp thời")
    LeafValue.objects.create(assessment=assessment_a, criterion=leaf(assessment_a, "1.2.2"), stage=Stage.SELF, points=Decimal("3"))  # max 1,5

    sheet = build(assessment_a)
    rows = {row.code: row for row in sheet.leaf_rows()}
    assert rows["1.2.2"].error is not None and rows["1.1.1"].error is None
    assert sheet.results["self"].total == Decimal("1")
    assert rows["1.2.2"].points["self"] is None and rows["1.1.1"].points["self"] == Decimal("1")
    assert sheet.results["appraisal"].total == sheet.results["final"].total == Decimal("1")


def test_stages_with_the_same_inputs_are_computed_once(assessment_a):
    """Before the appraisal the appraisal and final stages read the unit's own values: one result."""
    from scoring.models import LeafValue

    LeafValue.objects.create(assessment=assessment_a, criterion=leaf(assessment_a, "1.1.1"), stage=Stage.SELF, option="Ban hành kịp thời")
    sheet = build(assessment_a)
    assert sheet.results["appraisal"] is sheet.results["final"]
    assert sheet.results["final"].total == sheet.results["self"].total == Decimal("1")

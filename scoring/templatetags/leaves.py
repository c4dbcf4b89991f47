"""{% load leaves %}: a leaf's inputs ({% leaf_inputs %}), its evidence ({% evidence_block %}), the
self-assessment page's rows ({% sheet_rows %}) and the lists of uploaded files ({% file_options %}),
written by scoring.leaf_html (see there why not by templates)."""

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.templatetags.par import decimal_separator, format_points
from scoring.leaf_html import EvidencePage, e, evidence_links, evidence_slot, points_text, self_leaf_card
from scoring.leaf_html import file_options as _file_options
from scoring.leaf_html import leaf_inputs as _leaf_inputs

register = template.Library()


@register.simple_tag
def file_options(files, *, with_size: bool = False) -> SafeString:
    return mark_safe(_file_options(files, with_size=with_size))


@register.simple_tag
def leaf_inputs(row, *, editable, form_id: str, note_label: str = "") -> SafeString:
    return _leaf_inputs(row, editable=bool(editable), form_id=form_id, note_label=note_label)


def _page(request, assessment) -> EvidencePage:
    """One EvidencePage per request and assessment: a page calls the tag once per leaf."""
    if request is None:
        return EvidencePage(None, assessment)
    pages = request.__dict__.setdefault("_evidence_pages", {})
    if assessment.pk not in pages:
        pages[assessment.pk] = EvidencePage(request, assessment)
    return pages[assessment.pk]


@register.simple_tag(takes_context=True)
def evidence_block(context) -> SafeString:
    """One leaf's evidence (templates/scoring/_evidence.html). Context: assessment, criterion, links
    (the leaf's LeafEvidence, file preloaded), files, can_edit, purpose ("self" | "explanation"),
    request; on the self-assessment page also evidence_forms_once and evidence_full_for.

    Links of the other purpose are listed without a remove button (removing them would be refused).
    With evidence_forms_once the page writes the add-evidence forms once and evidence.js copies them
    into this leaf's slot; they are written out here instead for the leaves in evidence_full_for (a
    refused document form, whose typed values come back from the session, or ?tai-lieu=<id>, the way
    in without JavaScript) and on the pages that don't share them."""
    assessment, criterion, purpose = context["assessment"], context["criterion"], context["purpose"]
    request = context.get("request")
    can_edit = bool(context.get("can_edit"))
    page = _page(request, assessment)
    ev_id = f"ev-{purpose}-{criterion.pk}"
    body = evidence_links(
        page, context.get("links") or [], criterion_pk=criterion.pk, purpose=purpose, can_edit=can_edit
    )
    if can_edit:
        if context.get("evidence_forms_once") and criterion.pk not in (context.get("evidence_full_for") or ()):
            body += evidence_slot(criterion.pk, purpose, _("Tải tệp lên"))
        else:
            body += _forms(context, request, assessment.pk, criterion.pk, purpose, ev_id)
    return mark_safe(f'<div class="evidence" id="{ev_id}">{body}</div>')


def leaf_card(context, row) -> SafeString:
    """A leaf of the self-assessment page (assessment.html); its evidence block is the one above."""
    texts = context.render_context.get("_leaf_texts")
    if texts is None:  # once per page: the card's fixed words
        texts = context.render_context["_leaf_texts"] = {
            "evidence": e(_("Tài liệu kiểm chứng")),
            "note": _("Giải trình (khi không có tài liệu kiểm chứng)"),
            "appraised": e(_("Thẩm định")),
        }
    findings = ""
    if row.findings or row.prefill:
        with context.push(row=row):
            findings = context.template.engine.get_template("scoring/_findings.html").render(context)
    a = context["a"]
    evidence = ""
    if not row.is_survey:
        with context.push(
            assessment=a, criterion=row.criterion, links=row.evidence, files=context["sheet"].files, purpose="self"
        ):
            evidence = evidence_block(context)
    return mark_safe(
        self_leaf_card(
            row,
            points=points_text(row.points.get("self")),
            editable=bool(context.get("can_edit")),
            show_appraisal=a.state != "draft",
            texts=texts,
            findings=findings,
            evidence=evidence,
        )
    )


@register.simple_tag(takes_context=True)
def sheet_rows(context) -> SafeString:
    """The self-assessment page's rows (assessment.html): a heading with its self points for each
    domain and criterion, a leaf card for each leaf. A loop here rather than in the template, whose
    lookups for ~60 rows cost about a third of the page's render (2.8 of 8.5 ms at 41 leaves)."""
    sheet = context["sheet"]
    own = sheet.results["self"].points
    separator = decimal_separator()
    parts = []
    for row in sheet.rows:
        if row.is_leaf:
            parts.append(leaf_card(context, row))
            continue
        c, level, code = row.criterion, row.heading_level, e(row.code)
        parts.append(
            f'<h{level} class="sheet-node depth-{c.depth}"><span class="code">{code}</span> {e(c.title)} '
            f'<span class="node-pts"><span data-node="{code}">{format_points(own.get(row.code), separator)}</span>'
            f" / {format_points(c.max_points, separator)}</span></h{level}>"
        )
    return mark_safe("\n".join(parts))


def _forms(context, request, assessment_pk: int, criterion_pk: int, purpose: str, ev_id: str) -> str:
    typed = request.session.get("evidence_form") if request is not None else None
    args = [assessment_pk, criterion_pk]
    values = {
        "ev_id": ev_id,
        "upload_url": reverse("scoring:evidence_upload", args=args),
        "link_url": reverse("scoring:evidence_link", args=args),
        "document_url": reverse("scoring:evidence_document", args=args),
        "next_url": f"{request.get_full_path() if request is not None else ''}#{ev_id}",
        "typed": typed,
        "typed_open": bool(typed and typed.get("key") == f"{purpose}-{criterion_pk}"),
    }
    forms = context.template.engine.get_template("scoring/_evidence_forms.html")
    with context.push(**values):
        return forms.render(context)

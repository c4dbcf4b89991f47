"""The markup of a leaf on the scoring pages: its inputs and its evidence list, written in Python.

Why not templates: the self-assessment page is the product's most requested page (opened again
after every save), and through the template engine each leaf cost ~0.4 ms — 16 of the page's 21 ms
with 41 leaves, ~50 ms with 120 leaves and a few files each (loadtest/cost.py). Written here the
same markup costs a few hundredths of a millisecond per leaf. Every text is escaped with
`escape` (`e` below) and numbers go through the functions behind the |points filter; the pages keep
their layout in the templates, which call these through the `leaves` template tags.

What a refused document form held (session "evidence_form") and the full per-leaf evidence forms are
still rendered by templates/scoring/_evidence_forms.html: they are written once per page at most.
"""

from __future__ import annotations

from html import escape

from django.middleware.csrf import get_token
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from core.templatetags.par import decimal_separator, format_points
from scoring import engine

M = engine.Method


def e(value) -> str:
    return escape(str(value), quote=True)


def points_text(value) -> str:
    return format_points(value, decimal_separator())


def _disabled(editable: bool) -> str:
    return "" if editable else " disabled"


# ---------------------------------------------------------------- inputs


def leaf_inputs(row, *, editable: bool, form_id: str, note_label: str) -> SafeString:
    """One leaf's inputs for its method (was _leaf_inputs.html): the fields the save and preview
    endpoints read (c<pk>-points, -option, -numerator, -denominator, -count, -not_applicable, -note)."""
    c, t, prefix = row.criterion, row.typed, row.prefix
    form = f' form="{e(form_id)}"'
    off = _disabled(editable)
    out = [f'<input type="hidden" name="{prefix}-present" value="1"{form}>']
    if c.method == M.SURVEY:
        survey = f" {e(row.summary('survey'))}" if row.values.survey else ""
        out.append(
            f'<p class="muted">{e(_("Tiêu chí điều tra xã hội học: không tự chấm; Sở Nội vụ nhập tỷ lệ điều tra."))}{survey}</p>'
        )
        return mark_safe("".join(out))
    out.append(f'<div class="inputs{" has-error" if row.error else ""}">')
    if c.method == M.CHOICE:
        out.append(f'<fieldset class="choices"><legend class="sr-only">{e(_("Lựa chọn"))}</legend>')
        for option in row.node.rule.options:
            checked = " checked" if t.option == option.label else ""
            out.append(
                f'<label class="choice"><input{form} type="radio" name="{prefix}-option" value="{e(option.label)}"{checked}{off}>'
                f' {e(option.label)} <span class="muted">({points_text(option.points)})</span></label>'
            )
        out.append("</fieldset>")
    elif c.method in (M.BANDS, M.PROPORTIONAL):
        numerator_label, denominator_label = c.input_labels
        rate = f"{points_text(row.rate)}%" if row.rate is not None else ""
        out.append(
            f'<div class="ratio"><label>{e(numerator_label or _("Tử số"))}<input{form} type="text" inputmode="decimal"'
            f' name="{prefix}-numerator" value="{e(t.numerator)}"{off}></label><span class="slash">/</span>'
            f'<label>{e(denominator_label or _("Mẫu số"))}<input{form} type="text" inputmode="decimal"'
            f' name="{prefix}-denominator" value="{e(t.denominator)}"{off}></label>'
            f'<span class="rate">{e(_("Tỷ lệ"))}: <output data-rate>{rate}</output></span></div>'
        )
    elif c.method in (M.PER_ITEM, M.DEDUCTION):
        out.append(
            f'<label class="count">{e(c.inputs or _("Số lượng"))}<input{form} type="text" inputmode="numeric"'
            f' name="{prefix}-count" value="{e(t.count)}"{off}></label>'
        )
    elif c.method == M.MANUAL:
        label = _("Điểm (0 – %(max)s)") % {"max": points_text(c.max_points)}
        out.append(
            f'<label class="count">{e(label)}<input{form} type="text" inputmode="decimal"'
            f' name="{prefix}-points" value="{e(t.points)}"{off}></label>'
        )
    if c.allow_na:
        checked = " checked" if t.not_applicable else ""
        out.append(
            f'<label class="na"><input{form} type="checkbox" data-na name="{prefix}-not_applicable"{checked}{off}>'
            f" {e(_('Không áp dụng'))}</label>"
        )
    error = e(row.error.message) if row.error else ""
    out.append(f'<p class="error" data-live-error{"" if row.error else " hidden"}>{error}</p>')
    out.append(
        f'<label class="note">{e(note_label)}<textarea{form} name="{prefix}-note" rows="2"{off}>{e(t.note)}</textarea></label></div>'
    )
    return mark_safe("".join(out))


# ---------------------------------------------------------------- evidence


class EvidencePage:
    """What every leaf's evidence block of one page shares, worked out once: the addresses (a
    reverse() per link would cost more than the rest of the link), the CSRF token, the texts."""

    def __init__(self, request, assessment):
        self.request = request
        self.here = e(request.get_full_path()) if request is not None else ""
        self.csrf = e(get_token(request)) if request is not None else ""
        # Reversed once with stand-in ids, split where the ids go (they come after the assessment's).
        head, _x, tail = reverse("scoring:evidence_file", args=[assessment.pk, 999_999_999]).rpartition("999999999")
        self.file_url = (head, tail)
        head, _x, tail = reverse("scoring:evidence_remove", args=[assessment.pk, 999_999_999, 999_999_998]).rpartition(
            "999999999"
        )
        self.remove_url = (head, *tail.partition("999999998")[::2])
        self.texts = {
            "document": e(_("Văn bản")),
            "remove": e(_("Gỡ")),
            "confirm": e(_("Gỡ tài liệu này khỏi tiêu chí?")),
            "none": e(_("Chưa có tài liệu kiểm chứng.")),
        }

    def file_href(self, file_pk: int) -> str:
        head, tail = self.file_url
        return f"{head}{file_pk}{tail}"

    def remove_href(self, criterion_pk: int, link_pk: int) -> str:
        head, middle, tail = self.remove_url
        return f"{head}{criterion_pk}{middle}{link_pk}{tail}"


def _person(user) -> str:
    return e(user.get_full_name() or user.username)


def _when(moment) -> str:
    return localtime(moment).strftime("%d/%m/%Y %H:%M")


def _link_item(page: EvidencePage, link, *, criterion_pk: int, purpose: str, can_edit: bool) -> str:
    texts = page.texts
    parts = []
    if link.document_number:
        parts.append(f"<span>{texts['document']}: {e(link.document_label)}</span>")
        if link.file_id:
            parts.append("<br>")
    if link.file_id:
        file = link.file
        who = f" · {_person(file.uploaded_by)}" if file.uploaded_by_id else ""
        parts.append(
            f'<a href="{page.file_href(file.pk)}" target="_blank" rel="noopener">{e(file.original_name)}</a>'
            f' <small class="muted">· {e(filesizeformat(file.size))}{who} · {_when(file.uploaded_at)}</small>'
        )
    elif link.added_by_id:
        parts.append(f'<small class="muted">· {_person(link.added_by)} · {_when(link.added_at)}</small>')
    remove = ""
    if can_edit and link.purpose == purpose:
        what = e(link.document_label) if link.document_number else e(link.file.original_name) if link.file_id else ""
        remove = (
            f'<form method="post" action="{page.remove_href(criterion_pk, link.pk)}" class="inline"'
            f" onsubmit=\"return confirm('{texts['confirm']}')\">"
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{page.csrf}">'
            f'<input type="hidden" name="next" value="{page.here}#ev-{purpose}-{criterion_pk}">'
            f'<button type="submit" class="linkish" aria-label="{texts["remove"]} {what}">{texts["remove"]}</button></form>'
        )
    return f'<li><span class="evidence-what">{"".join(parts)}</span>{remove}</li>'


def evidence_links(page: EvidencePage, links, *, criterion_pk: int, purpose: str, can_edit: bool) -> str:
    """The leaf's list of evidence (files and cited documents), or "none yet" for readers."""
    if links:
        items = "".join(
            _link_item(page, link, criterion_pk=criterion_pk, purpose=purpose, can_edit=can_edit) for link in links
        )
        return f'<ul class="evidence-list">{items}</ul>'
    if not can_edit:
        return f'<p class="muted evidence-none">{page.texts["none"]}</p>'
    return ""


def file_options(files, *, with_size: bool) -> str:
    """<option>s of the assessment's uploaded files (the lists that attach one to a leaf): a unit
    uploads dozens over a year, and the page writes the list twice."""
    out = []
    for file in files:
        name = file.original_name if len(file.original_name) <= 60 else file.original_name[:59] + "…"
        size = f" ({e(filesizeformat(file.size))})" if with_size else ""
        out.append(f'<option value="{file.pk}">{e(name)}{size}</option>')
    return "".join(out)


def evidence_slot(criterion_pk: int, purpose: str, upload_label: str) -> str:
    """Where evidence.js puts the page's one copy of the evidence forms; without JavaScript, a link
    that reopens the page with this leaf's forms written out (?tai-lieu=)."""
    return (
        f'<div data-evidence-forms="{criterion_pk}"><noscript><a href="?tai-lieu={criterion_pk}#ev-{purpose}-{criterion_pk}">'
        f"{e(upload_label)}</a></noscript></div>"
    )


# ---------------------------------------------------------------- the self-assessment page's card


def self_leaf_card(
    row, *, points: str, editable: bool, show_appraisal: bool, texts: dict, findings: str, evidence: str
) -> str:
    """One leaf of the self-assessment page (assessment.html): title, rule, what evidence is asked
    for, the inputs, the appraiser's points once the sheet has left the unit, the evidence block.
    `findings` and `evidence` come already written (see `leaf_card` in scoring/templatetags/leaves.py)."""
    c = row.criterion
    out = [
        f'<article class="leaf-card{" has-error" if row.error else ""}" data-leaf="{e(row.code)}" id="leaf-{e(row.code)}">',
        f'<header><span class="code">{e(row.code)}</span> <span class="title">{e(c.title)}</span>'
        f' <span class="pts"><output data-points>{points}</output> / {points_text(c.max_points)}</span></header>',
        f'<p class="rule"><span class="badge method">{e(row.method_label)}</span> {e(row.rule_text)}</p>',
    ]
    if c.evidence:
        out.append(f'<p class="evidence-req"><strong>{texts["evidence"]}:</strong> {e(c.evidence)}</p>')
    if c.guidance:
        out.append(f'<p class="muted small">{e(c.guidance)}</p>')
    out.append(findings)
    out.append(leaf_inputs(row, editable=editable, form_id="sheet", note_label=texts["note"]))
    appraisal = row.values.appraisal
    if appraisal and show_appraisal:
        note = f" — {e(appraisal.note)}" if appraisal.note else ""
        out.append(
            f'<p class="appraised">{texts["appraised"]}: <strong>{points_text(row.points.get("appraisal"))}</strong>{note}</p>'
        )
    if not row.is_survey:
        out.append(f'<div class="evidence-box">{evidence}</div>')
    out.append("</article>")
    return "".join(out)

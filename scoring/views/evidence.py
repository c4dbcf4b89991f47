"""Evidence of an assessment's leaves: upload, attach an uploaded file, cite a document, remove, download.

Everyone who may read the assessment (get_assessment) may open its files; only the unit, while the
assessment is open for the purpose, may change them (403 otherwise). Unknown or foreign ids: 404.

A plain form post is answered with a redirect back to the page and a message. The page's script
(evidence.js, Accept: application/json) gets {"ok", "message"} instead and, when the leaf's
evidence changed, "html" (the leaf's evidence block re-rendered) and, on the self-assessment page,
"forms" (the page's evidence forms, whose lists of uploaded files every leaf offers): the page, the
most expensive of the product, is not reloaded for one file.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from accounts.access import can_edit_self, can_explain, get_assessment, require_edit
from core.responses import json_refusals, wants_json
from criteria.models import Criterion
from scoring.evidence import evidence_add_document, evidence_link_existing, evidence_remove, evidence_upload
from scoring.models import EvidenceFile, LeafEvidence
from scoring.services import ScoringError

from .assessment import evidence_forms_context

SESSION_KEY = "evidence_form"


def can_change_evidence(user, assessment, purpose: str) -> bool:
    if purpose == LeafEvidence.Purpose.SELF:
        return can_edit_self(user, assessment)
    if purpose == LeafEvidence.Purpose.EXPLANATION:
        return can_explain(user, assessment)
    return False


def _leaf(assessment, criterion_pk: int) -> Criterion:
    """A leaf of the assessment's criteria set, else 404."""
    return get_object_or_404(
        Criterion.objects.exclude(method=""), pk=criterion_pk, criteria_set_id=assessment.round.criteria_set_id
    )


def _back_url(request, assessment) -> str:
    """The page the form was on (its `next`, on this site only), else the assessment's page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    try:
        return reverse("scoring:assessment", args=[assessment.pk])
    except NoReverseMatch:
        return "/"


def _back(request, assessment) -> HttpResponseRedirect:
    return HttpResponseRedirect(_back_url(request, assessment))


class _PageRequest:
    """The request as the page's templates see it when a piece of the page is rendered for a form
    sent in place: get_full_path() is the page's address (the links and forms in the piece must
    return to the page, not to this form's action); everything else is the request."""

    def __init__(self, request, page_path: str):
        self._request, self._page_path = request, page_path

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_full_path(self) -> str:
        return self._page_path


def _evidence_html(request, assessment, criterion, purpose: str) -> dict:
    """The leaf's evidence block as its page includes _evidence.html, and on the self-assessment
    page the page's evidence forms (<template id="evidence-forms"> of assessment.html)."""
    page = _PageRequest(request, _back_url(request, assessment).split("#")[0])
    links = (
        LeafEvidence.objects.filter(assessment=assessment, criterion=criterion)
        .select_related("file__uploaded_by", "added_by")
        .order_by("added_at", "pk")
    )
    files = list(assessment.files.all())
    context = {
        "request": page,
        "assessment": assessment,
        "criterion": criterion,
        "links": links,
        "files": files,
        "purpose": purpose,
        "can_edit": can_change_evidence(request.user, assessment, purpose),
    }
    if purpose != LeafEvidence.Purpose.SELF:
        return {"html": render_to_string("scoring/_evidence.html", context, request=request)}
    context.update(evidence_forms_context(page, assessment))
    return {
        "html": render_to_string("scoring/_evidence.html", context, request=request),
        "forms": render_to_string("scoring/_evidence_forms_shared.html", context, request=request),
    }


def _answer(
    request, assessment, criterion, purpose: str, notes: list[tuple[int, str]], *, changed: bool
) -> HttpResponse:
    """Back to the page with `notes` ((messages level, text)) as messages, or, for evidence.js, the
    notes in JSON (status 400 when one is an error) with the leaf re-rendered when it `changed`."""
    if not wants_json(request):
        for level, text in notes:
            messages.add_message(request, level, text)
        return _back(request, assessment)
    ok = all(level == messages.SUCCESS for level, _text in notes)
    data = {"ok": ok, "message": " ".join(text for _level, text in notes)}
    if changed:
        data.update(_evidence_html(request, assessment, criterion, purpose))
    return JsonResponse(data, status=200 if ok else 400)


def _purpose(request) -> str:
    return request.POST.get("purpose") or LeafEvidence.Purpose.SELF


def _start(request, pk: int, criterion_pk: int):
    """(assessment, leaf, purpose) after the read (404) and change (403) checks."""
    assessment = get_assessment(request.user, pk)
    criterion = _leaf(assessment, criterion_pk)
    purpose = _purpose(request)
    require_edit(can_change_evidence(request.user, assessment, purpose))
    return assessment, criterion, purpose


@login_required
@require_POST
@json_refusals
def evidence_upload_view(request, pk: int, criterion_pk: int):
    assessment, criterion, purpose = _start(request, pk, criterion_pk)
    uploads = request.FILES.getlist("file")
    if not uploads:
        return _answer(
            request, assessment, criterion, purpose, [(messages.ERROR, _("Chưa chọn tệp để tải lên."))], changed=False
        )
    notes = []
    for uploaded in uploads:
        try:
            link = evidence_upload(
                assessment=assessment, criterion=criterion, uploaded_file=uploaded, user=request.user, purpose=purpose
            )
        except ScoringError as exc:
            notes.append((messages.ERROR, exc.message))
        else:
            text = _("Đã đính kèm tệp “%(name)s” vào tiêu chí %(code)s.") % {
                "name": link.file.original_name,
                "code": criterion.code,
            }
            notes.append((messages.SUCCESS, text))
    attached = any(level == messages.SUCCESS for level, _text in notes)
    return _answer(request, assessment, criterion, purpose, notes, changed=attached)


@login_required
@require_POST
@json_refusals
def evidence_link_view(request, pk: int, criterion_pk: int):
    assessment, criterion, purpose = _start(request, pk, criterion_pk)
    file_pk = request.POST.get("file", "")
    if not file_pk.isdigit():
        return _answer(
            request, assessment, criterion, purpose, [(messages.ERROR, _("Chưa chọn tệp đã tải lên."))], changed=False
        )
    evidence = get_object_or_404(EvidenceFile, pk=int(file_pk), assessment=assessment)
    try:
        evidence_link_existing(
            assessment=assessment, criterion=criterion, file=evidence, user=request.user, purpose=purpose
        )
    except ScoringError as exc:
        return _answer(request, assessment, criterion, purpose, [(messages.ERROR, exc.message)], changed=False)
    text = _("Đã đính kèm tệp “%(name)s” vào tiêu chí %(code)s.") % {
        "name": evidence.original_name,
        "code": criterion.code,
    }
    return _answer(request, assessment, criterion, purpose, [(messages.SUCCESS, text)], changed=True)


@login_required
@require_POST
@json_refusals
def evidence_document_view(request, pk: int, criterion_pk: int):
    assessment, criterion, purpose = _start(request, pk, criterion_pk)
    typed = {
        "key": f"{purpose}-{criterion.pk}",  # what the partial compares with its own leaf
        "number": request.POST.get("number", "")[:200],
        "date": request.POST.get("date", "")[:40],
        "title": request.POST.get("title", "")[:1000],
    }
    attached = request.FILES.get("file")
    existing = request.POST.get("existing", "")
    if attached is None and existing.isdigit():
        attached = get_object_or_404(EvidenceFile, pk=int(existing), assessment=assessment)
    try:
        link = evidence_add_document(
            assessment=assessment,
            criterion=criterion,
            number=typed["number"],
            date=typed["date"],
            title=typed["title"],
            user=request.user,
            purpose=purpose,
            file=attached,
        )
    except ScoringError as exc:
        if not wants_json(request):
            # The partial cannot re-render itself: keep what was typed for its next display.
            # (In place, the form and what was typed in it stay on the page.)
            request.session[SESSION_KEY] = typed
        return _answer(request, assessment, criterion, purpose, [(messages.ERROR, exc.message)], changed=False)
    request.session.pop(SESSION_KEY, None)
    text = _("Đã thêm văn bản %(label)s vào tiêu chí %(code)s.") % {
        "label": link.document_label,
        "code": criterion.code,
    }
    return _answer(request, assessment, criterion, purpose, [(messages.SUCCESS, text)], changed=True)


@login_required
@require_POST
def evidence_remove_view(request, pk: int, criterion_pk: int, link_pk: int):
    assessment = get_assessment(request.user, pk)
    criterion = _leaf(assessment, criterion_pk)
    link = get_object_or_404(
        LeafEvidence.objects.select_related("file", "assessment__round"),
        pk=link_pk,
        assessment=assessment,
        criterion=criterion,
    )
    require_edit(can_change_evidence(request.user, assessment, link.purpose))
    label = link.document_label or (link.file.original_name if link.file else "")
    try:
        evidence_remove(link=link, user=request.user)
    except ScoringError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Đã gỡ “%(label)s” khỏi tiêu chí %(code)s.") % {"label": label, "code": criterion.code}
        )
    return _back(request, assessment)


@login_required
@require_safe
@never_cache
@xframe_options_sameorigin
def evidence_file(request, pk: int, file_pk: int):
    """The stored file, for whoever may read the assessment: PDF and images inline, Office as attachment."""
    assessment = get_assessment(request.user, pk)
    evidence = get_object_or_404(EvidenceFile, pk=file_pk, assessment=assessment)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=not evidence.opens_inline,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


leaf = "phieu/<int:pk>/tieu-chi/<int:criterion_pk>/tai-lieu/"
urlpatterns = [
    path(f"{leaf}tai-len/", evidence_upload_view, name="evidence_upload"),
    path(f"{leaf}dinh-kem/", evidence_link_view, name="evidence_link"),
    path(f"{leaf}van-ban/", evidence_document_view, name="evidence_document"),
    path(f"{leaf}<int:link_pk>/xoa/", evidence_remove_view, name="evidence_remove"),
    path("phieu/<int:pk>/tep/<int:file_pk>/", evidence_file, name="evidence_file"),
]

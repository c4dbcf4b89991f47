"""The minutes and the conclusion notice of a visit: header data form, browser preview, issuing
(frozen PDF), downloads and corrections. Every read goes through accounts.access.documents_for."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from accounts.access import can_record_visit, documents_for, get_visit, is_home_affairs

from ..models import InspectionDocument
from ..services.documents import (
    DocumentError,
    document_current_draft,
    document_defaults,
    document_issue,
    document_issued,
    document_number_normalize,
    document_render,
    document_replace,
    document_save_draft,
)

Kind = InspectionDocument.Kind
KIND_SLUGS = {"bien-ban": Kind.MINUTES, "thong-bao-ket-luan": Kind.NOTICE}


class DocumentForm(forms.ModelForm):
    """What Home Affairs enters; the body comes from the recorded visit."""

    issue_date = forms.DateField(
        label=gettext_lazy("Ngày ban hành"), required=False, help_text=gettext_lazy("dd/mm/yyyy; bắt buộc khi ban hành"),
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
        error_messages={"invalid": gettext_lazy("Ngày phải có dạng dd/mm/yyyy, ví dụ 05/03/2026.")},
    )

    class Meta:
        model = InspectionDocument
        fields = [
            "number", "issue_date", "place", "parent_agency", "issuing_agency", "legal_bases", "summary",
            "signer_authority", "signer_title", "signer_name", "recipients",
        ]
        labels = {
            "number": gettext_lazy("Số, ký hiệu"),
            "place": gettext_lazy("Địa danh"),
            "parent_agency": gettext_lazy("Cơ quan chủ quản"),
            "issuing_agency": gettext_lazy("Cơ quan ban hành"),
            "legal_bases": gettext_lazy("Căn cứ"),
            "summary": gettext_lazy("Đoạn nội dung bổ sung"),
            "signer_authority": gettext_lazy("Quyền hạn ký"),
            "signer_title": gettext_lazy("Chức vụ người ký"),
            "signer_name": gettext_lazy("Họ tên người ký"),
            "recipients": gettext_lazy("Nơi nhận"),
        }
        help_texts = {
            "number": gettext_lazy("Ví dụ 12/TB-SNV; bắt buộc khi ban hành. Số dưới 10 được ghi 01–09."),
            "place": gettext_lazy("Ví dụ: Hòa Bình Xanh"),
            "parent_agency": gettext_lazy("Ví dụ: UBND TỈNH …"),
            "legal_bases": gettext_lazy("Mỗi dòng một căn cứ; dấu “;” và “.” cuối dòng được thêm khi in."),
            "summary": gettext_lazy("Không bắt buộc: in sau đoạn mở đầu, mỗi dòng một đoạn."),
            "signer_authority": gettext_lazy("Ví dụ: KT. GIÁM ĐỐC (để trống nếu người đứng đầu ký)"),
            "signer_title": gettext_lazy("Ví dụ: PHÓ GIÁM ĐỐC"),
            "signer_name": gettext_lazy("Bắt buộc khi ban hành; không ghi học hàm, học vị."),
            "recipients": gettext_lazy("Mỗi dòng một nơi nhận; dòng “Lưu: VT, …” được in cuối cùng."),
        }
        widgets = {
            "legal_bases": forms.Textarea(attrs={"rows": 4}),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "recipients": forms.Textarea(attrs={"rows": 5}),
        }

    def clean_number(self):
        try:
            return document_number_normalize(self.cleaned_data.get("number") or "")
        except DocumentError as exc:
            raise forms.ValidationError(exc.messages[0]) from None


def _kind(slug: str) -> str:
    if slug in Kind.values:
        return slug
    if slug in KIND_SLUGS:
        return KIND_SLUGS[slug]
    raise Http404


def _can_edit(user, visit, kind: str) -> bool:
    """Home Affairs both documents; the delegation's recorders the minutes."""
    return is_home_affairs(user) or (kind == Kind.MINUTES and can_record_visit(user, visit))


def _get_document(user, pk: int) -> InspectionDocument:
    return get_object_or_404(
        documents_for(user).select_related("visit__plan__organizer", "visit__unit", "replaces", "issued_by"), pk=pk
    )


def _document_for_home_affairs(user, pk: int) -> InspectionDocument:
    """A document for what only Home Affairs does to it (issue, replace): 404 for one the user may
    not see, 403 for one they may see but not act on."""
    document = _get_document(user, pk)
    if not is_home_affairs(user):
        raise PermissionDenied
    return document


def _visit_url(visit) -> str:
    try:
        return reverse("inspections:visit", args=[visit.pk])
    except NoReverseMatch:
        return ""


def _apply_errors(form: forms.Form, exc: DocumentError) -> None:
    for field, message in exc.errors:
        form.add_error(field if field in form.fields else None, message)


@login_required
def document_edit(request, visit_pk: int, kind: str):
    """Header data of the visit's draft minutes or notice (prefilled from the plan); save, or save and issue."""
    visit = get_visit(request.user, visit_pk)  # another unit's visit, or not in the delegation: 404
    kind = _kind(kind)
    if not _can_edit(request.user, visit, kind):
        raise PermissionDenied
    document = document_current_draft(visit=visit, kind=kind)
    issued = document_issued(visit=visit, kind=kind) if document is None else None
    if issued is not None:
        if request.method == "POST":
            raise PermissionDenied(_("Văn bản đã ban hành không sửa được; hãy tạo văn bản thay thế."))
        messages.info(request, _("Văn bản đã ban hành không sửa được; muốn đính chính, hãy tạo văn bản thay thế."))
        return redirect("inspections:document", pk=issued.pk)
    initial = None if document else document_defaults(visit=visit, kind=kind)
    form = DocumentForm(request.POST or None, instance=document, initial=initial)
    may_issue = is_home_affairs(request.user)
    if request.method == "POST" and form.is_valid():
        try:
            document = document_save_draft(visit=visit, kind=kind, user=request.user, data=form.cleaned_data, document=document)
            if request.POST.get("action") == "issue":
                if not may_issue:
                    raise PermissionDenied
                document = document_issue(document=document, user=request.user)
        except DocumentError as exc:
            _apply_errors(form, exc)
        else:
            if document.is_issued:
                messages.success(request, _("Đã ban hành %(doc)s.") % {"doc": document})
            else:
                messages.success(request, _("Đã lưu dự thảo. Xem trước văn bản bên dưới trước khi ban hành."))
            return redirect("inspections:document", pk=document.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "inspections/document_edit.html",
        {
            "visit": visit, "kind": kind, "kind_label": Kind(kind).label, "form": form, "document": document,
            "may_issue": may_issue, "visit_url": _visit_url(visit),
        },
        status=status,
    )


def _detail(request, document: InspectionDocument, *, issue_errors=None, status: int = 200):
    user = request.user
    visit = document.visit
    replaced_by = document.replaced_by.order_by("-created_at") if document.is_issued else []
    return render(
        request,
        "inspections/document_detail.html",
        {
            "document": document,
            "visit": visit,
            "can_edit": not document.is_issued and _can_edit(user, visit, document.kind),
            "can_issue": not document.is_issued and is_home_affairs(user),
            "can_replace": document.is_issued and is_home_affairs(user),
            "replaced_by": list(replaced_by),
            "issue_errors": issue_errors or [],
            "visit_url": _visit_url(visit),
        },
        status=status,
    )


@login_required
@require_safe
def document_detail(request, pk: int):
    return _detail(request, _get_document(request.user, pk))


def _pdf_response(pdf: bytes, filename: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response


def _filename(document: InspectionDocument, *, draft: bool) -> str:
    from ..services.documents import number_slug

    kind = "bien-ban" if document.kind == Kind.MINUTES else "thong-bao-ket-luan"
    parts = [document.visit.unit.code, kind]
    if document.number:
        parts.append(number_slug(document.number))
    if draft:
        parts.append("du-thao")
    return "_".join(parts) + ".pdf"


@login_required
@require_safe
@never_cache
@xframe_options_sameorigin
def document_preview(request, pk: int):
    """The PDF inline in the browser: a draft rendered now with the "DỰ THẢO" mark, an issued one as stored."""
    document = _get_document(request.user, pk)
    try:
        pdf = document_render(document=document)
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    return _pdf_response(pdf, _filename(document, draft=not document.is_issued), inline=True)


@login_required
@require_safe
def document_pdf(request, pk: int):
    """The issued PDF as stored when it was issued (never re-rendered)."""
    document = _get_document(request.user, pk)
    if not document.is_issued:
        return redirect("inspections:document_preview", pk=document.pk)
    try:
        with document.pdf.open("rb") as handle:
            pdf = handle.read()
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    return _pdf_response(pdf, _filename(document, draft=False), inline=False)


@login_required
@require_POST
def document_issue_view(request, pk: int):
    document = _document_for_home_affairs(request.user, pk)
    if document.is_issued:
        raise PermissionDenied(_("Văn bản đã ban hành."))
    try:
        document = document_issue(document=document, user=request.user)
    except DocumentError as exc:
        return _detail(request, document, issue_errors=exc.messages, status=400)
    messages.success(request, _("Đã ban hành %(doc)s.") % {"doc": document})
    return redirect("inspections:document", pk=document.pk)


@login_required
@require_POST
def document_replace_view(request, pk: int):
    document = _document_for_home_affairs(request.user, pk)
    try:
        draft = document_replace(document=document, user=request.user)
    except DocumentError as exc:
        messages.error(request, exc.messages[0])
        return redirect("inspections:document", pk=document.pk)
    messages.success(request, _("Đã tạo dự thảo thay thế %(doc)s; nhập số, ngày và ban hành.") % {"doc": document})
    return redirect("inspections:document_edit", visit_pk=draft.visit_id, kind=draft.kind)


urlpatterns = [
    path("chuyen/<int:visit_pk>/van-ban/<str:kind>/", document_edit, name="document_edit"),
    path("van-ban/<int:pk>/", document_detail, name="document"),
    path("van-ban/<int:pk>/xem-truoc/", document_preview, name="document_preview"),
    path("van-ban/<int:pk>/pdf/", document_pdf, name="document_pdf"),
    path("van-ban/<int:pk>/ban-hanh/", document_issue_view, name="document_issue"),
    path("van-ban/<int:pk>/thay-the/", document_replace_view, name="document_replace"),
]

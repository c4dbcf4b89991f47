"""Batch export of a year's issued inspection documents as one zip, built as a background job
(core/jobs.py): the same files, names and order as `manage.py export_documents`, for Home Affairs."""

from __future__ import annotations

import io
import zipfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import is_home_affairs
from core.jobs import JobError, job_start

from ..management.commands.export_documents import export_name
from ..models import InspectionDocument


def documents_zip_check(user, params: dict) -> None:
    """Every issued document of every unit: Home Affairs only (the same as documents_for's "all")."""
    if not is_home_affairs(user):
        raise PermissionDenied
    if not isinstance(params.get("year"), int):
        raise Http404


def documents_zip_job(job, progress):
    year = job.params["year"]
    documents = list(
        InspectionDocument.objects.filter(visit__plan__year=year, status=InspectionDocument.Status.ISSUED)
        .select_related("visit__unit")
        .order_by("visit__unit__code", "kind", "issued_at", "pk")
    )
    if not documents:
        raise JobError(_("Năm %(year)s chưa có văn bản kiểm tra nào được ban hành.") % {"year": year})
    buffer, used, missing = io.BytesIO(), set(), []
    # PDFs are already compressed: storing them keeps the job fast and the zip barely larger.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for position, document in enumerate(documents, start=1):
            try:
                with document.pdf.open("rb") as handle:
                    data = handle.read()
            except (FileNotFoundError, OSError, ValueError):
                missing.append(f"{document.visit.unit.code} ({document.pk})")
                continue
            stem = export_name(document)
            name, n = f"{stem}.pdf", 1
            while name.lower() in used:
                n += 1
                name = f"{stem}_{n}.pdf"
            used.add(name.lower())
            archive.writestr(name, data)
            progress(position * 100 // len(documents), _("Đã đóng gói %(n)s/%(total)s văn bản") % {"n": position, "total": len(documents)})
    if missing:
        raise JobError(_("Không đọc được tệp PDF đã lưu của: %(list)s") % {"list": "; ".join(missing)})
    return f"van-ban-kiem-tra-{year}.zip", buffer.getvalue()


@require_POST
@login_required
def documents_zip_start(request, year: int):
    if not is_home_affairs(request.user):
        raise PermissionDenied
    job = job_start("documents_zip", {"year": year}, request.user)
    return redirect("core:job", pk=job.pk)


urlpatterns = [
    path("van-ban/nam/<int:year>/tai-ve-zip/", documents_zip_start, name="documents_zip"),
]

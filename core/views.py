"""The page of a background job (core/jobs.py): progress while it runs, then its file to download,
its summary, the preview of a checked import with its confirm button, or the row errors of a file
it rejected."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache

from accounts.access import is_home_affairs

from .jobs import PREVIEW_ROWS, import_check_context, job_check, job_kind
from .models import Job


def _job_for(request, pk: int) -> Job:
    """The owner's or Home Affairs' job, still allowed by the export's own check; 404 otherwise,
    so another user cannot even learn that the job exists."""
    queryset = Job.objects.all() if is_home_affairs(request.user) else Job.objects.filter(user=request.user)
    job = get_object_or_404(queryset, pk=pk)
    try:
        job_check(job, request.user)
    except (PermissionDenied, Http404, ValueError):
        raise Http404 from None
    return job


def _state(job: Job) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": job.progress,
        "message": job.message,
        "finished": job.finished,
        "download_url": reverse("core:job_download", args=[job.pk]) if job.status == Job.Status.DONE and job.result else "",
        "result_name": job.result_name,
        "error_count": len(job.errors),
    }


@never_cache
@login_required
def job_page(request, pk: int):
    job = _job_for(request, pk)
    kind = job_kind(job.kind)
    context = {
        "job": job,
        "title": kind.title,
        "state": _state(job),
        # A file with an error on each of its 10,000 rows: the first few hundred say what is wrong.
        "errors_shown": job.errors[:PREVIEW_ROWS],
        "report_template": kind.template if job.status == Job.Status.DONE and job.report else "",
    }
    if context["report_template"]:
        context.update(import_check_context(request, job))
    return render(request, "core/job.html", context)


@never_cache
@login_required
def job_status(request, pk: int):
    return JsonResponse(_state(_job_for(request, pk)))


@login_required
def job_download(request, pk: int):
    job = _job_for(request, pk)
    if job.status != Job.Status.DONE or not job.result:
        raise Http404
    response = FileResponse(job.result.open("rb"), as_attachment=True)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(job.result_name)}"
    return response


urlpatterns = [
    path("<int:pk>/", job_page, name="job"),
    path("<int:pk>/trang-thai/", job_status, name="job_status"),
    path("<int:pk>/tai-ve/", job_download, name="job_download"),
]

"""Background jobs: long work (large exports, a year's documents as a zip) run outside the request.

`job_start(kind, params, user)` checks access, records a `Job` and hands it to Celery. With a
broker (CELERY_BROKER_URL, Redis) a worker runs it and the job page shows its progress; without
one Celery runs it eagerly, in-process, so the embedded default needs nothing more.

A kind is registered by dotted paths rather than by importing the functions here: the Celery
worker imports only this module and core.tasks, and the job code lives in the features' modules.

- `run(job, progress) -> (filename, bytes)`: does the work; calls `progress(percent, message)`
  now and then; raises `JobError` with a user-facing message when the work cannot be done.
- `check(user, params)`: the same access check as the page the export comes from; raises
  Http404/PermissionDenied. It runs when the job is started, again when the worker runs it, and
  again on every look at the job and its download, so losing a role also loses the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import Job
from .request_id import request_id_get, request_id_reset, request_id_set

logger = logging.getLogger(__name__)


class JobError(Exception):
    """A failure to show the user as it is (it is already in their language)."""


@dataclass(frozen=True)
class JobKind:
    title: str | Promise
    run: str  # dotted path of run(job, progress) -> (filename, bytes)
    check: str  # dotted path of check(user, params) -> None

    def run_function(self) -> Callable:
        return import_string(self.run)

    def check_function(self) -> Callable:
        return import_string(self.check)


JOB_KINDS: dict[str, JobKind] = {
    "ranking_pdf": JobKind(_("Báo cáo xếp hạng (PDF)"), "scoring.views.reports.ranking_pdf_job", "scoring.views.ranking.ranking_job_check"),
    "ranking_xlsx": JobKind(_("Xếp hạng (Excel)"), "scoring.views.ranking.ranking_xlsx_job", "scoring.views.ranking.ranking_job_check"),
    "documents_zip": JobKind(
        _("Văn bản kiểm tra đã ban hành của năm (ZIP)"), "inspections.views.exports.documents_zip_job", "inspections.views.exports.documents_zip_check"
    ),
}


def job_kind(kind: str) -> JobKind:
    try:
        return JOB_KINDS[kind]
    except KeyError:
        raise ValueError(f"Unknown job kind {kind!r}") from None


def job_check(job: Job, user) -> None:
    """The export's own access check, for this user and the job's parameters."""
    job_kind(job.kind).check_function()(user, job.params)


def job_start(kind: str, params: dict, user) -> Job:
    job_kind(kind).check_function()(user, params)
    job = Job.objects.create(kind=kind, params=params, user=user, request_id=request_id_get() if request_id_get() != "-" else "")
    from .tasks import job_run_task

    if settings.CELERY_TASK_ALWAYS_EAGER:
        job_run_task.apply(args=[job.pk])
        job.refresh_from_db()
    else:
        # Only once the row is committed can a worker on another machine see it.
        transaction.on_commit(lambda: job_run_task.delay(job.pk))
    return job


def job_progress(job: Job, percent: int, message: str = "") -> None:
    percent = max(0, min(99, int(percent)))  # 100 means the result is stored
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(progress=percent, message=str(message))
    job.progress, job.message = percent, str(message)


def job_run(job_id: int) -> None:
    """Run one job; safe to call twice (a redelivered task finds it finished and does nothing)."""
    # queued -> running as a conditional update: two workers handed the same task cannot both win.
    # A job left "running" by a worker that died is taken over by the redelivered task.
    claimed = Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), progress=0, message=""
    )
    if not claimed:
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    token = request_id_set(job.request_id or f"job-{job.pk}")
    try:
        kind = job_kind(job.kind)
        kind.check_function()(job.user, job.params)  # roles may have changed while it waited
        filename, data = kind.run_function()(job, lambda percent, message="": job_progress(job, percent, message))
        job.result.save(filename, ContentFile(data), save=False)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.DONE, progress=100, message="", result=job.result.name, result_name=filename, finished_at=timezone.now()
        )
        logger.info("Job %s %s done: %s (%d bytes)", job.pk, job.kind, filename, len(data))
    except JobError as error:
        _fail(job, str(error))
        logger.warning("Job %s %s failed: %s", job.pk, job.kind, error)
    except Exception as error:
        logger.exception("Job %s %s failed", job.pk, job.kind)
        from django.utils.translation import gettext

        _fail(job, gettext("Lỗi không mong đợi (%(error)s). Mã tra cứu: %(ref)s.") % {"error": type(error).__name__, "ref": request_id_get()})
    finally:
        request_id_reset(token)


def _fail(job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message=message, finished_at=timezone.now())

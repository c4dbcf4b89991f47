"""Background jobs: long work (large exports, a year's documents as a zip, large imports) run outside
the request.

`job_start(kind, params, user)` checks access, records a `Job` and hands it to Celery. With a
broker (CELERY_BROKER_URL, Redis) a worker runs it and the job page shows its progress; without
one Celery runs it eagerly, in-process, so the embedded default needs nothing more.

A kind is registered by dotted paths rather than by importing the functions here: the Celery
worker imports only this module and core.tasks, and the job code lives in the features' modules.

- `run(job, progress)`: does the work; calls `progress(percent, message)` now and then; returns
  `(filename, bytes)` for a file to download, or a `str`, the summary of work that writes rather
  than exports; raises `JobError` with a user-facing message (and the row errors of a rejected
  file) when the work cannot be done.
- `check(user, params)`: the same access check as the page the work comes from; raises
  Http404/PermissionDenied. It runs when the job is started, again when the worker runs it, and
  again on every look at the job and its download, so losing a role also loses the result.

Imports: the preview stays in the request; confirming a large file (`staging.in_background`)
starts a job with `import_job_start`, whose run calls the feature's import function through
`import_job_run`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import staging
from .models import Job
from .request_id import request_id_get, request_id_reset, request_id_set

logger = logging.getLogger(__name__)


class JobError(Exception):
    """A failure to show the user as it is (it is already in their language), with the row errors
    (core.excel.RowError) of a file that was rejected whole."""

    def __init__(self, message: str, errors: Iterable = ()):
        super().__init__(message)
        self.errors = [{"line": e.line, "column": e.column, "message": str(e.message)} for e in errors]


@dataclass(frozen=True)
class JobKind:
    title: str | Promise
    run: str  # dotted path of run(job, progress) -> (filename, bytes) | summary
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
    "units_import": JobKind(_("Nhập đơn vị từ Excel"), "accounts.views.units_import_job", "accounts.views.units_import_check"),
    "survey_import": JobKind(
        _("Nhập kết quả điều tra xã hội học"), "scoring.views.excel.survey_import_job", "scoring.views.excel.survey_import_check"
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


def job_start(kind: str, params: dict, user, *, links: Iterable[tuple[str, str]] = ()) -> Job:
    """`links` are (label, url) pairs the job page offers: back to where the work was started."""
    job_kind(kind).check_function()(user, params)
    job = Job.objects.create(
        kind=kind,
        params=params,
        user=user,
        request_id=request_id_get() if request_id_get() != "-" else "",
        links=[{"label": str(label), "url": url} for label, url in links],
        language=translation.get_language() or "",
    )
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


class _Progress:
    """`progress(percent, message)` as handed to a job's run.

    Work that writes in one transaction (an import) reports from inside it, where an update of the
    job's row on the same connection would stay invisible to the job page until the end. There the
    update goes through a connection of its own. Not on SQLite: a second writer would wait for the
    transaction's lock, and the embedded default runs jobs in the request anyway, with nobody polling.
    """

    def __init__(self, job: Job):
        self.job = job
        self.began_in_transaction = connection.in_atomic_block  # tests wrap everything in one
        self.side = None

    def __call__(self, percent: int, message: str = "") -> None:
        if self.began_in_transaction or not connection.in_atomic_block or connection.vendor == "sqlite":
            job_progress(self.job, percent, message)
            return
        percent = max(0, min(99, int(percent)))
        try:
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
                if self.side.vendor == "postgresql":
                    with self.side.cursor() as cursor:  # never wait long on a row lock for a progress bar
                        cursor.execute("SET lock_timeout = '2s'")
            table = self.side.ops.quote_name(Job._meta.db_table)
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET progress = %s, message = %s WHERE id = %s AND status = %s",
                    [percent, str(message), self.job.pk, Job.Status.RUNNING],
                )
        except DatabaseError:
            logger.warning("Job %s: progress not recorded", self.job.pk, exc_info=True)
        self.job.progress, self.job.message = percent, str(message)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


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
    progress = _Progress(job)
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):  # messages in the language of whoever started it
            _run(job, progress)
    finally:
        progress.close()
        request_id_reset(token)


def _run(job: Job, progress: _Progress) -> None:
    try:
        kind = job_kind(job.kind)
        kind.check_function()(job.user, job.params)  # roles may have changed while it waited
        result = kind.run_function()(job, progress)
        if isinstance(result, str):
            Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE, progress=100, message=result, finished_at=timezone.now())
            logger.info("Job %s %s done: %s", job.pk, job.kind, result)
            return
        filename, data = result
        job.result.save(filename, ContentFile(data), save=False)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.DONE, progress=100, message="", result=job.result.name, result_name=filename, finished_at=timezone.now()
        )
        logger.info("Job %s %s done: %s (%d bytes)", job.pk, job.kind, filename, len(data))
    except JobError as error:
        _fail(job, str(error), error.errors)
        logger.warning("Job %s %s failed: %s", job.pk, job.kind, error)
    except (PermissionDenied, Http404):
        _fail(job, gettext("Người tạo công việc không còn quyền thực hiện nó."))
        if str(job.params.get("path", "")).startswith("staging/"):  # an import's file, which nobody will confirm now
            staging.delete({"path": job.params["path"]})
        logger.warning("Job %s %s refused: user %s may no longer do it", job.pk, job.kind, job.user_id)
    except Exception as error:
        logger.exception("Job %s %s failed", job.pk, job.kind)
        _fail(job, gettext("Lỗi không mong đợi (%(error)s). Mã tra cứu: %(ref)s.") % {"error": type(error).__name__, "ref": request_id_get()})


def _fail(job: Job, message: str, errors: list | None = None) -> None:
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message=message, errors=errors or [], finished_at=timezone.now())


# ---------------------------------------------------------------- large imports


@contextmanager
def rows_written(report: Callable[[int], None] | None = None) -> Iterator[Callable[[], int]]:
    """Count the rows the work inserts, updates or deletes on this connection, as the database
    reports them, so row-by-row saves and bulk writes count alike. The preview's dry run counts
    the writes its confirmation will make; the import job counts them again to show how far it is.
    """
    count = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal count
        result = execute(sql, params, many, context)
        verb = sql.lstrip()[:6].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and Job._meta.db_table not in sql:
            rows = context["cursor"].rowcount
            if verb == "INSERT" and rows <= 0:
                # SQLite reports no count for INSERT … RETURNING until its rows are fetched.
                rows = sql.count("), (") + 1
            count += max(rows, 0)
            if report is not None:
                report(count)
        return result

    with connection.execute_wrapper(wrapper):
        yield lambda: count


class _ReadProgress(io.BytesIO):
    """The staged file as the import function reads it, reporting the share read so far."""

    def __init__(self, data: bytes, report: Callable[[float], None]):
        super().__init__(data)
        self.size, self.done, self.report = max(len(data), 1), 0, report

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.done += len(chunk)
        self.report(min(1.0, self.done / self.size))
        return chunk


def import_job_start(kind: str, entry: dict, user, *, params: dict | None = None, links: Iterable[tuple[str, str]] = ()) -> Job:
    """Confirm a large import as a background job. `entry` is the staged file claimed by the
    confirm view (staging.claim), left in storage for the job to read wherever it runs; its meta
    holds the rows and writes the preview counted."""
    meta = entry["meta"]
    params = {**(params or {}), "path": entry["path"], "name": entry["name"], "rows": meta.get("rows", 0), "writes": meta.get("writes", 0)}
    return job_start(kind, params, user, links=links)


def import_job_run(job: Job, progress: Callable, do_import: Callable[[io.BytesIO], object]):
    """The confirm step of a large import, in a job: the staged file read from storage, handed to
    the feature's import function as the request would hand it, then deleted.

    Progress is the share of the file read (the import checks rows as it reads them), then the
    rows written against those the preview's dry run wrote. Import functions check the whole file
    before writing and write in one transaction, so a rejected file ends the job with its row
    errors and nothing saved. Returns the import's outcome.
    """
    params = job.params
    name, rows, writes = params["name"], params.get("rows") or 0, params.get("writes") or 0
    shown = {"percent": -1}

    def report(percent: float, message: str) -> None:
        if int(percent) != shown["percent"]:  # a few dozen updates of the job row, not one per row
            shown["percent"] = int(percent)
            progress(int(percent), message)

    def reading(share: float) -> None:
        if share < 1:
            report(35 * share, gettext("Đang đọc và kiểm tra tệp %(name)s (%(rows)s dòng)…") % {"name": name, "rows": rows})
        else:
            report(35, gettext("Đã đọc %(rows)s dòng; đang đối chiếu với dữ liệu trong hệ thống…") % {"rows": rows})

    def writing(done: int) -> None:
        done = min(done, writes)
        report(40 + 59 * done / writes if writes else 40, gettext("Đang ghi: %(n)s/%(total)s bản ghi…") % {"n": done, "total": writes})

    entry = {"path": params["path"]}
    if not entry["path"].startswith("staging/"):
        raise ValueError(f"Not a staged file: {entry['path']!r}")
    try:
        try:
            data = staging.read(entry)
        except OSError:
            raise JobError(gettext("Tệp %(name)s đã tải lên không còn trên máy chủ; hãy tải tệp lên lại.") % {"name": name}) from None
        reading(0)
        with rows_written(writing):
            outcome = do_import(_ReadProgress(data, reading))
    finally:
        staging.delete(entry)
    if outcome.errors:
        # The preview found none: the data in the system changed in between.
        raise JobError(
            gettext("Không nhập được tệp %(name)s: dữ liệu đã thay đổi từ lúc xem trước. Chưa có gì được lưu; sửa các lỗi dưới đây rồi tải tệp lên lại.")
            % {"name": name},
            outcome.errors,
        )
    return outcome

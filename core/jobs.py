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

Imports of a file above IMPORT_JOB_ROWS rows (`staging.in_background`) take two jobs. The upload
starts the check (`import_check_start`): its run calls the feature's dry run through
`import_check_run`, which keeps the preview in `Job.report` for the kind's `template` to show on
the job page with the confirm button. Confirming (`import_claim`, then `import_job_start`) starts
the import, whose run calls the feature's import function through `import_job_run`. Smaller files
are checked and imported in the request.
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

from . import bulk, staging
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
    template: str = ""  # shows the `report` of a finished job (the preview of a checked import)

    def run_function(self) -> Callable:
        return import_string(self.run)

    def check_function(self) -> Callable:
        return import_string(self.check)


JOB_KINDS: dict[str, JobKind] = {
    "ranking_pdf": JobKind(
        _("Báo cáo xếp hạng (PDF)"), "scoring.views.reports.ranking_pdf_job", "scoring.views.ranking.ranking_job_check"
    ),
    "ranking_xlsx": JobKind(
        _("Xếp hạng (Excel)"), "scoring.views.ranking.ranking_xlsx_job", "scoring.views.ranking.ranking_job_check"
    ),
    "documents_zip": JobKind(
        _("Văn bản kiểm tra đã ban hành của năm (ZIP)"),
        "inspections.views.exports.documents_zip_job",
        "inspections.views.exports.documents_zip_check",
    ),
    "units_check": JobKind(
        _("Kiểm tra tệp đơn vị trước khi nhập"),
        "accounts.views.units_check_job",
        "accounts.views.units_import_check",
        template="accounts/unit_import_report.html",
    ),
    "units_import": JobKind(
        _("Nhập đơn vị từ Excel"), "accounts.views.units_import_job", "accounts.views.units_import_check"
    ),
    "survey_check": JobKind(
        _("Kiểm tra tệp kết quả điều tra trước khi nhập"),
        "scoring.views.excel.survey_check_job",
        "scoring.views.excel.survey_import_check",
        template="scoring/survey_report.html",
    ),
    "survey_import": JobKind(
        _("Nhập kết quả điều tra xã hội học"),
        "scoring.views.excel.survey_import_job",
        "scoring.views.excel.survey_import_check",
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
        with translation.override(
            job.language or settings.LANGUAGE_CODE
        ):  # messages in the language of whoever started it
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
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.DONE, progress=100, message=result, finished_at=timezone.now()
            )
            logger.info("Job %s %s done: %s", job.pk, job.kind, result)
            return
        filename, data = result
        job.result.save(filename, ContentFile(data), save=False)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.DONE,
            progress=100,
            message="",
            result=job.result.name,
            result_name=filename,
            finished_at=timezone.now(),
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
        _fail(
            job,
            gettext("Lỗi không mong đợi (%(error)s). Mã tra cứu: %(ref)s.")
            % {"error": type(error).__name__, "ref": request_id_get()},
        )


def _fail(job: Job, message: str, errors: list | None = None) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, message=message, errors=errors or [], finished_at=timezone.now()
    )


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

    def copied(rows: int) -> None:
        nonlocal count
        count += rows
        if report is not None:
            report(count)

    token = bulk.copied_rows.set(copied)
    try:
        with connection.execute_wrapper(wrapper):
            yield lambda: count
    finally:
        bulk.copied_rows.reset(token)


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


PREVIEW_ROWS = 300  # rows of detail a checked large file shows; the counts cover every row


def import_check_start(
    kind: str,
    request,
    upload,
    *,
    rows: int,
    purpose: str,
    meta: dict | None = None,
    params: dict | None = None,
    links: Iterable[tuple[str, str]] = (),
) -> Job:
    """Check a large upload (`rows`: staging.estimated_rows) in a background job rather than in the
    request: the file is staged (its token in the uploader's session, as for a preview) and the
    job dry-runs the import."""
    token = staging.stage(request, upload, purpose=purpose, meta=meta)
    entry = staging.fetch(request, token, purpose=purpose)
    params = {
        **(params or {}),
        "path": entry["path"],
        "name": entry["name"],
        "purpose": purpose,
        "token": token,
        "rows": rows,
    }
    job = job_start(kind, params, request.user, links=links)
    staging.update_meta(request, token, check_job=job.pk)
    return job


def import_check_run(
    job: Job, progress: Callable, do_check: Callable[[io.BytesIO], object], report: Callable[[object], dict]
) -> str:
    """The check of a large import, in a job: the feature's dry run on the staged file. A file with
    row errors ends the job with them (JobError), and the file is deleted; otherwise `report(outcome)`
    (counts, the first PREVIEW_ROWS rows, and `confirm`: whether there is anything to import) is
    kept in `Job.report` with the rows and writes counted, which the import's progress measures
    against. The file stays staged for the confirmation unless there is nothing to confirm.
    """
    name = job.params["name"]
    entry = _staged(job)
    try:
        outcome, writes = _run_staged(
            job,
            progress,
            do_check,
            reading=(
                60,
                gettext("Đang đọc và kiểm tra tệp %(name)s…") % {"name": name},
                gettext("Đã đọc tệp; đang đối chiếu với dữ liệu trong hệ thống…"),
            ),
            writes=None,
        )
        if outcome.errors:
            raise JobError(
                gettext("Không nhập được tệp %(name)s: sửa các lỗi dưới đây rồi tải tệp lên lại.") % {"name": name},
                outcome.errors,
            )
        preview = {**report(outcome), "rows": len(outcome.rows), "writes": writes}
    except BaseException:
        staging.delete(entry)
        raise
    if not preview.get("confirm"):
        staging.delete(entry)
    Job.objects.filter(pk=job.pk).update(report=preview)
    job.report = preview
    return gettext("Đã kiểm tra tệp %(name)s (%(rows)s dòng): không có lỗi.") % {"name": name, "rows": preview["rows"]}


def import_claim(request, *, purpose: str, **meta) -> dict | None:
    """`staging.claim` for the confirm view of an import that may have been checked by a job: such
    a file is confirmed only once its check has finished without errors, and its entry then
    carries the rows and writes the check counted (for `staging.in_background` and the progress)."""
    from django.contrib import messages

    entry = staging.fetch(request, request.POST.get("token", ""), purpose=purpose)
    check = None
    if entry is not None and entry["meta"].get("check_job"):
        check = Job.objects.filter(pk=entry["meta"]["check_job"], user=request.user).first()
        if check is None or check.status != Job.Status.DONE or not check.report.get("confirm"):
            messages.error(request, gettext("Tệp chưa được kiểm tra xong, hoặc không có gì để nhập."))
            return None
    entry = staging.claim(request, purpose=purpose, **meta)
    if entry is not None and check is not None:
        entry["meta"].update(rows=check.report.get("rows", 0), writes=check.report.get("writes", 0))
    return entry


def import_check_context(request, job: Job) -> dict:
    """What the job page needs to show a finished check: its preview and, for the user whose
    session holds the staged file and while it is not yet confirmed, the confirm button."""
    token = job.params.get("token", "")
    confirmable = (
        job.report.get("confirm")
        and job.user_id == request.user.pk
        and staging.fetch(request, token, purpose=job.params.get("purpose", "")) is not None
    )
    if not job.report.get("confirm"):
        note = ""
    elif job.user_id != request.user.pk:
        note = gettext("Chỉ người đã tải tệp lên mới xác nhận nhập được.")
    elif not confirmable:
        note = gettext("Tệp này đã được xác nhận nhập, hoặc phiên nhập đã hết hạn; muốn nhập lại, hãy tải tệp lên lại.")
    else:
        note = ""
    return {
        "report": job.report,
        "token": token if confirmable else "",
        "confirm_note": note,
        "background": staging.in_background(job.report.get("rows", 0)),
    }


def import_job_start(
    kind: str, entry: dict, user, *, params: dict | None = None, links: Iterable[tuple[str, str]] = ()
) -> Job:
    """Confirm a large import as a background job. `entry` is the staged file claimed by the
    confirm view (import_claim), left in storage for the job to read wherever it runs; its meta
    holds the rows and writes the preview counted."""
    meta = entry["meta"]
    params = {
        **(params or {}),
        "path": entry["path"],
        "name": entry["name"],
        "rows": meta.get("rows", 0),
        "writes": meta.get("writes", 0),
    }
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
    name, rows = params["name"], params.get("rows") or 0
    entry = _staged(job)
    try:
        outcome, _writes = _run_staged(
            job,
            progress,
            do_import,
            reading=(
                35,
                gettext("Đang đọc và kiểm tra tệp %(name)s (%(rows)s dòng)…") % {"name": name, "rows": rows},
                gettext("Đã đọc %(rows)s dòng; đang đối chiếu với dữ liệu trong hệ thống…") % {"rows": rows},
            ),
            writes=params.get("writes") or 0,
        )
    finally:
        staging.delete(entry)
    if outcome.errors:
        # The preview found none: the data in the system changed in between.
        raise JobError(
            gettext(
                "Không nhập được tệp %(name)s: dữ liệu đã thay đổi từ lúc xem trước. Chưa có gì được lưu; sửa các lỗi dưới đây rồi tải tệp lên lại."
            )
            % {"name": name},
            outcome.errors,
        )
    return outcome


def _staged(job: Job) -> dict:
    """The staged file a job reads and deletes: never anything else in storage."""
    path = job.params["path"]
    if not path.startswith("staging/"):
        raise ValueError(f"Not a staged file: {path!r}")
    return {"path": path}


def _run_staged(
    job: Job,
    progress: Callable,
    work: Callable[[io.BytesIO], object],
    *,
    reading: tuple[int, str, str],
    writes: int | None,
):
    """`work` on the job's staged file, reporting progress: the share of the file read up to
    `reading[0]` percent, then the rows written against `writes` (the preview's count), or, when
    checking (`writes` None: nothing has counted them yet), against the rows of the file.
    Returns (outcome, rows written)."""
    name = job.params["name"]
    read_to, reading_message, read_message = reading
    checking, total = writes is None, job.params.get("rows") or 0
    shown = {"percent": -1}

    def report(percent: float, message: str) -> None:
        if int(percent) != shown["percent"]:  # a few dozen updates of the job row, not one per row
            shown["percent"] = int(percent)
            progress(int(percent), message)

    def read(share: float) -> None:
        if share < 1:
            report(read_to * share, reading_message)
        else:
            report(read_to, read_message)

    def written(done: int) -> None:
        start = read_to + 5
        if checking:  # a dry run, rolled back: how far it is, against the rows of the file
            report(
                start + (99 - start) * min(1, done / total) if total else start,
                gettext("Đang tính các thay đổi: %(n)s bản ghi…") % {"n": done},
            )
        else:
            done = min(done, writes)
            report(
                start + (99 - start) * done / writes if writes else start,
                gettext("Đang ghi: %(n)s/%(total)s bản ghi…") % {"n": done, "total": writes},
            )

    entry = _staged(job)
    try:
        data = staging.read(entry)
    except OSError:
        raise JobError(
            gettext("Tệp %(name)s đã tải lên không còn trên máy chủ; hãy tải tệp lên lại.") % {"name": name}
        ) from None
    read(0)
    with rows_written(written) as count:
        outcome = work(_ReadProgress(data, read))
    return outcome, count()

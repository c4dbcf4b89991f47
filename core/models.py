"""Shared tables used by several features."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SentReminder(models.Model):
    """One row per reminder e-mail already sent: the ledger that makes `send_reminders` safe to rerun.

    The unique (user, key) pair is what stops a second run (or two runs at once) from mailing the
    same person the same reminder again; each feature chooses keys that change when a reminder
    should legitimately be sent again (a new deadline, for instance).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("người nhận")
    )
    key = models.CharField(_("mã thư nhắc"), max_length=200)
    sent_at = models.DateTimeField(_("ngày gửi"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_reminder_per_user_and_key")]
        verbose_name = _("thư nhắc đã gửi")
        verbose_name_plural = _("thư nhắc đã gửi")

    def __str__(self) -> str:
        return f"{self.key} → {self.user_id}"


def job_result_path(job: "Job", filename: str) -> str:
    return f"jobs/{job.created_at:%Y/%m}/{job.pk}/{filename}"


class Job(models.Model):
    """One piece of long work (a large export, a batch of PDFs, a large import) run in the
    background (core/jobs.py).

    The row is both the queue entry the page polls and the result: an export's file is kept in
    Django storage, so whichever app server the user's next request reaches can offer it for
    download; an import ends with a summary in `message`, or with its row `errors` and nothing saved;
    the check of a large import ends with its preview in `report`.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang chạy")
        DONE = "done", _("Hoàn thành")
        FAILED = "failed", _("Lỗi")

    kind = models.CharField(_("loại công việc"), max_length=60)
    params = models.JSONField(_("tham số"), default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("người tạo")
    )
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    message = models.TextField(_("thông báo"), blank=True)
    result = models.FileField(_("kết quả"), upload_to=job_result_path, max_length=300, blank=True)
    result_name = models.CharField(_("tên tệp kết quả"), max_length=200, blank=True)
    errors = models.JSONField(
        _("lỗi theo dòng"), default=list, blank=True
    )  # [{line, column, message}] of a rejected file
    report = models.JSONField(
        _("bản xem trước của tệp nhập"), default=dict, blank=True
    )  # a checked import's preview, shown by its kind's template
    links = models.JSONField(
        _("liên kết"), default=list, blank=True
    )  # [{label, url}]: back to where the job was started
    language = models.CharField(
        _("ngôn ngữ"), max_length=10, blank=True
    )  # of the user who started it, for its messages
    request_id = models.CharField(_("mã yêu cầu"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), default=timezone.now)
    started_at = models.DateTimeField(_("bắt đầu"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="job_user_recent")]
        verbose_name = _("công việc nền")
        verbose_name_plural = _("công việc nền")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class StagedClaim(models.Model):
    """The token of a staged upload whose import was confirmed (core.staging.claim). The token is
    unique, so a second confirmation sent at the same moment — a double click, on any app server —
    is refused by the database rather than by the timing of two requests."""

    token = models.CharField(max_length=64, unique=True)
    claimed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.token

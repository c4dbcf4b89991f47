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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("người nhận"))
    key = models.CharField(_("mã thư nhắc"), max_length=200)
    sent_at = models.DateTimeField(_("ngày gửi"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_reminder_per_user_and_key")]
        verbose_name = _("thư nhắc đã gửi")
        verbose_name_plural = _("thư nhắc đã gửi")

    def __str__(self) -> str:
        return f"{self.key} → {self.user_id}"

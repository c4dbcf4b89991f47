"""Remedial actions ("kiến nghị, yêu cầu khắc phục") on the shortcomings found by an inspection.

Life of an action: the delegation adds it to a shortcoming (open) → the responsible unit reports
what it did, with evidence (reported) → the delegation accepts the report (closed) or sends it
back with a reason (open again). Overdue is not a stored status: past the deadline and not closed
(`RemedialAction.objects.overdue(today)` / `is_overdue`).

Views decide who may do what (accounts.access); the services re-check the state with conditional
updates (`filter(pk=..., status=old).update(...)`), so a replayed or racing POST changes nothing.

The deadline defaults to the conclusion notice's date + `plan.remedial_days`; the documents
feature calls `action_set_default_deadlines` when it issues a notice, and `validate_deadline`
refuses a deadline before the notice's date.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.text import clean_text
from inspections.models import ActionAttachment, ActionEvent, Finding, InspectionDocument, RemedialAction, Visit

Status = RemedialAction.Status
MAX_FILES = 10


class ActionError(ValidationError):
    """A refused change, with a message for the user (`.message`); a ValidationError, so forms can show it."""


def vn_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# ---------------------------------------------------------------- deadlines


def _visit_of(action_or_visit) -> Visit:
    if isinstance(action_or_visit, Visit):
        return action_or_visit
    if isinstance(action_or_visit, RemedialAction):
        return action_or_visit.finding.visit
    if isinstance(action_or_visit, Finding):
        return action_or_visit.visit
    raise TypeError(f"expected a Visit, a Finding or a RemedialAction, got {type(action_or_visit).__name__}")


def notice_date(visit: Visit) -> dt.date | None:
    """Issue date of the visit's conclusion notice, or None before it is issued.

    A correction replaces a notice but deadlines were set from the first one: the earliest issued
    notice's date counts (the documents feature uses the same reference when it issues a correction).
    """
    return (
        InspectionDocument.objects.filter(
            visit=visit, kind=InspectionDocument.Kind.NOTICE, status=InspectionDocument.Status.ISSUED, issue_date__isnull=False
        )
        .order_by("issue_date", "pk")
        .values_list("issue_date", flat=True)
        .first()
    )


def default_deadline(visit: Visit, notice: dt.date | None) -> dt.date | None:
    if notice is None:
        return None
    return notice + dt.timedelta(days=visit.plan.remedial_days)


def validate_deadline(action_or_visit, deadline: dt.date | None, *, notice: dt.date | None = None) -> None:
    """Refuse (ActionError) a deadline before the conclusion notice's date.

    `notice` is the notice's date when the caller knows it (the documents feature, while issuing
    a notice); otherwise the issued notice of the visit is read. No notice yet, or no deadline:
    nothing to check (the deadline is filled from the notice when it is issued).
    """
    if deadline is None:
        return
    if notice is None:
        notice = notice_date(_visit_of(action_or_visit))
    if notice is not None and deadline < notice:
        raise ActionError(
            _("Hạn khắc phục không được trước ngày thông báo kết luận (%(date)s).") % {"date": vn_date(notice)},
            code="deadline_before_notice",
        )


def validate_visit_deadlines(*, visit: Visit, notice_date: dt.date) -> None:
    """For the documents feature before issuing a notice dated `notice_date`: refuse (ActionError)
    when an action of the visit already has a deadline before that date, naming the actions."""
    early = list(
        RemedialAction.objects.filter(finding__visit=visit, deadline__lt=notice_date).order_by("deadline", "pk")[:5]
    )
    if early:
        names = "; ".join(f"“{a.text[:60]}” ({vn_date(a.deadline)})" for a in early)
        raise ActionError(
            _("Hạn khắc phục không được trước ngày thông báo kết luận (%(date)s): %(actions)s.")
            % {"date": vn_date(notice_date), "actions": names},
            code="deadline_before_notice",
        )


@transaction.atomic
def action_set_default_deadlines(*, visit: Visit, notice_date: dt.date) -> int:
    """Give every action of the visit without a deadline notice_date + plan.remedial_days; how many.

    Called by the documents feature when the conclusion notice is issued. Actions that already
    have a deadline keep it; running it again changes nothing.
    """
    deadline = notice_date + dt.timedelta(days=visit.plan.remedial_days)
    return RemedialAction.objects.filter(finding__visit=visit, deadline__isnull=True).update(deadline=deadline)


# ---------------------------------------------------------------- the delegation's requests


def _event(action: RemedialAction, user, from_status: str, to_status: str, note: str = "") -> ActionEvent:
    return ActionEvent.objects.create(
        action=action, actor=user if getattr(user, "is_authenticated", False) else None,
        from_status=from_status, to_status=to_status, note=note,
    )


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not clean_text(text):
        raise ActionError(_("Chưa nhập nội dung kiến nghị, yêu cầu khắc phục."), code="text")
    return text


@transaction.atomic
def action_create(*, finding: Finding, text: str, user, responsible_unit=None, deadline: dt.date | None = None) -> RemedialAction:
    """A request on a shortcoming; the unit defaults to the visited unit, the deadline to the notice's + N days."""
    if finding.kind != Finding.Kind.SHORTCOMING:
        raise ActionError(_("Chỉ tồn tại, hạn chế mới có kiến nghị, yêu cầu khắc phục."), code="kind")
    text = _check_text(text)
    visit = finding.visit
    notice = notice_date(visit)
    validate_deadline(visit, deadline, notice=notice)
    if deadline is None:
        deadline = default_deadline(visit, notice)
    action = RemedialAction.objects.create(
        finding=finding, text=text, responsible_unit=responsible_unit or visit.unit, deadline=deadline
    )
    _event(action, user, "", Status.OPEN)
    return action


@transaction.atomic
def action_update(*, action: RemedialAction, text: str, responsible_unit, deadline: dt.date | None, user) -> RemedialAction:
    """Change the request, its unit or its deadline; refused once closed, and the unit once it has reported."""
    text = _check_text(text)
    locked = RemedialAction.objects.select_for_update(of=("self",)).select_related("finding__visit__plan").get(pk=action.pk)
    if locked.status == Status.CLOSED:
        raise ActionError(_("Yêu cầu đã hoàn thành; không sửa được nữa."), code="closed")
    if locked.status == Status.REPORTED and responsible_unit.pk != locked.responsible_unit_id:
        raise ActionError(
            _("Đơn vị đã báo cáo kết quả khắc phục; hãy xem xét báo cáo trước khi đổi đơn vị thực hiện."), code="reported"
        )
    visit = locked.finding.visit
    notice = notice_date(visit)
    validate_deadline(visit, deadline, notice=notice)
    if deadline is None:
        deadline = default_deadline(visit, notice)
    RemedialAction.objects.filter(pk=locked.pk).update(text=text, responsible_unit=responsible_unit, deadline=deadline)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def action_delete(*, action: RemedialAction, user) -> None:
    """Remove a request added by mistake; refused once the unit has reported on it (its work is kept)."""
    deleted, _rows = RemedialAction.objects.filter(
        pk=action.pk, status=Status.OPEN, report_text="", attachments__isnull=True
    ).delete()
    if not deleted and RemedialAction.objects.filter(pk=action.pk).exists():
        raise ActionError(_("Đơn vị đã báo cáo kết quả khắc phục cho yêu cầu này; không xoá được."), code="reported")


# ---------------------------------------------------------------- the unit's report


def _check_files(files) -> list[tuple]:
    from scoring.evidence import check_upload
    from scoring.services import ScoringError

    files = [f for f in (files or []) if f]
    if len(files) > MAX_FILES:
        raise ActionError(_("Mỗi lần gửi tối đa %(n)s tệp.") % {"n": MAX_FILES}, code="files")
    checked = []
    for uploaded in files:
        try:
            checked.append((uploaded, *check_upload(uploaded)))
        except ScoringError as exc:
            raise ActionError(exc.message, code="file") from None
    return checked


@transaction.atomic
def action_report(*, action: RemedialAction, report_text: str, user, files=()) -> RemedialAction:
    """The unit reports what it did (open → reported), with evidence files checked by content.

    Every file is checked before anything is written: one bad file refuses the whole report.
    """
    report_text = (report_text or "").strip()
    if not clean_text(report_text):
        raise ActionError(_("Chưa nhập kết quả khắc phục."), code="report_text")
    checked = _check_files(files)
    now = timezone.now()
    changed = RemedialAction.objects.filter(pk=action.pk, status=Status.OPEN).update(
        status=Status.REPORTED, report_text=report_text, reported_at=now, reported_by=user
    )
    if not changed:
        raise ActionError(_("Yêu cầu này không còn chờ đơn vị báo cáo (đã gửi báo cáo hoặc đã hoàn thành)."), code="state")
    known = set(ActionAttachment.objects.filter(action_id=action.pk).values_list("sha256", flat=True))
    for uploaded, name, content_type, sha256, size in checked:
        if sha256 in known:
            continue
        known.add(sha256)
        attachment = ActionAttachment(
            action_id=action.pk, original_name=name, content_type=content_type, size=size, sha256=sha256,
            uploaded_by=user, uploaded_at=now,
        )
        uploaded.seek(0)
        attachment.file.save(name, uploaded, save=False)
        attachment.save()
    _event(action, user, Status.OPEN, Status.REPORTED)
    action.refresh_from_db()
    return action


# ---------------------------------------------------------------- the delegation's review


@transaction.atomic
def action_accept(*, action: RemedialAction, user, note: str = "") -> RemedialAction:
    """The delegation accepts the report: reported → closed."""
    note = (note or "").strip()
    changed = RemedialAction.objects.filter(pk=action.pk, status=Status.REPORTED).update(
        status=Status.CLOSED, review_note=note, reviewed_at=timezone.now(), reviewed_by=user
    )
    if not changed:
        raise ActionError(_("Không có báo cáo nào đang chờ xem xét cho yêu cầu này."), code="state")
    _event(action, user, Status.REPORTED, Status.CLOSED, note)
    action.refresh_from_db()
    return action


@transaction.atomic
def action_send_back(*, action: RemedialAction, user, reason: str) -> RemedialAction:
    """The delegation sends the report back with a reason: reported → open; the unit reports again."""
    reason = (reason or "").strip()
    if not clean_text(reason):
        raise ActionError(_("Chưa nhập lý do trả lại báo cáo."), code="reason")
    changed = RemedialAction.objects.filter(pk=action.pk, status=Status.REPORTED).update(
        status=Status.OPEN, review_note=reason, reviewed_at=timezone.now(), reviewed_by=user
    )
    if not changed:
        raise ActionError(_("Không có báo cáo nào đang chờ xem xét cho yêu cầu này."), code="state")
    _event(action, user, Status.REPORTED, Status.OPEN, reason)
    action.refresh_from_db()
    return action

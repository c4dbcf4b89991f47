"""The inspection plan (content areas, visits, delegations) and the record of each visit on site.

Views decide who may do what (accounts.access); these services validate the data, re-check under a
row lock that the visit is still open for changes (not concluded), and write in one transaction.
Every refusal is an `InspectionError` with a Vietnamese message, optionally tied to a form field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit
from core.text import clean_text

from ..models import ContentArea, DelegationMember, Finding, FindingAttachment, InspectionPlan, Visit, VisitCheck

VISITED = (Visit.Status.DONE, Visit.Status.CONCLUDED)


class InspectionError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------- coverage


def coverage(visited: int, total: int) -> str:
    """"7/13 (53,8%)": one decimal with a comma, rounded half-up, ",0" dropped; "0/0" without a rate."""
    if total <= 0:
        return f"{visited}/{total}"
    rate = (Decimal(visited) * 100 / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rate}".replace(".", ",")
    if text.endswith(",0"):
        text = text[:-2]
    return f"{visited}/{total} ({text}%)"


@dataclass
class CoverageRow:
    label: str
    planned: int
    visited: int
    total: int

    @property
    def text(self) -> str:
        return coverage(self.visited, self.total)

    @property
    def planned_text(self) -> str:
        return coverage(self.planned, self.total)


def plan_coverage(plan: InspectionPlan, visits: Iterable[Visit] | None = None) -> tuple[list[CoverageRow], list[CoverageRow]]:
    """(per unit group, per parent unit) rows for the groups and parents of the plan's visits.

    Visited = visits done or concluded. The denominator is the group's (the parent's) active units,
    plus any unit of it that was visited and has since been deactivated, so a rate never exceeds 100%.
    A fixed number of queries, however many visits and units.
    """
    if visits is None:
        visits = plan.visits.select_related("unit__group", "unit__parent")
    visits = list(visits)
    groups: dict[int, dict] = {}
    parents: dict[int, dict] = {}
    for visit in visits:
        unit = visit.unit
        done = visit.status in VISITED
        entry = groups.setdefault(unit.group_id, {"obj": unit.group, "planned": 0, "visited": 0, "inactive": 0})
        entry["planned"] += 1
        entry["visited"] += done
        entry["inactive"] += done and not unit.is_active
        if unit.parent_id:
            entry = parents.setdefault(unit.parent_id, {"obj": unit.parent, "planned": 0, "visited": 0, "inactive": 0})
            entry["planned"] += 1
            entry["visited"] += done
            entry["inactive"] += done and not unit.is_active
    # One query each when there is something to count (an empty IN list costs no query).
    group_totals = dict(
        Unit.objects.filter(group_id__in=list(groups), is_active=True).values_list("group_id").annotate(n=Count("pk")).order_by()
    )
    parent_totals = dict(
        Unit.objects.filter(parent_id__in=list(parents), is_active=True).values_list("parent_id").annotate(n=Count("pk")).order_by()
    )
    group_rows = [
        CoverageRow(
            label=f"{e['obj'].code} – {e['obj'].name}",
            planned=e["planned"],
            visited=e["visited"],
            total=group_totals.get(pk, 0) + e["inactive"],
        )
        for pk, e in sorted(groups.items(), key=lambda item: (item[1]["obj"].position, item[1]["obj"].code))
    ]
    parent_rows = [
        CoverageRow(
            label=_("Đơn vị trực thuộc %(unit)s") % {"unit": e["obj"].name},
            planned=e["planned"],
            visited=e["visited"],
            total=parent_totals.get(pk, 0) + e["inactive"],
        )
        for pk, e in sorted(parents.items(), key=lambda item: item[1]["obj"].code)
    ]
    return group_rows, parent_rows


# ---------------------------------------------------------------- plan


PLAN_FIELDS = ("year", "organizer", "title", "decision_number", "decision_date", "decision_issuer", "purpose", "remedial_days")


def _plan_values(values: dict) -> dict:
    data = {k: values[k] for k in PLAN_FIELDS if k in values}
    for key in ("title", "decision_number", "decision_issuer"):
        if key in data:
            data[key] = clean_text(data[key])
    if "purpose" in data:
        data["purpose"] = (data["purpose"] or "").strip()
    if not data.get("title", "x"):
        raise InspectionError(_("Cần nhập tên kế hoạch."), "title")
    year = data.get("year")
    if year is not None and not 2000 <= int(year) <= 2100:
        raise InspectionError(_("Năm %(year)s không hợp lệ.") % {"year": year}, "year")
    return data


@transaction.atomic
def plan_create(*, user, **values) -> InspectionPlan:
    data = _plan_values(values)
    return InspectionPlan.objects.create(created_by=user, created_at=timezone.now(), **data)


@transaction.atomic
def plan_update(*, plan: InspectionPlan, user, **values) -> InspectionPlan:
    data = _plan_values(values)
    if "year" in data and data["year"] != plan.year and Finding.objects.filter(visit__plan=plan).exists():
        raise InspectionError(_("Kế hoạch đã có kết quả kiểm tra; không thể đổi năm."), "year")
    for key, value in data.items():
        setattr(plan, key, value)
    plan.save()
    return plan


# ---------------------------------------------------------------- content areas


def _next_position(plan: InspectionPlan) -> int:
    last = plan.areas.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def area_add(*, plan: InspectionPlan, code: str, title: str, domain_code: str = "") -> ContentArea:
    code, title, domain_code = clean_text(code), clean_text(title), clean_text(domain_code)
    if not title:
        raise InspectionError(_("Cần nhập nội dung kiểm tra."), "title")
    if len(title) > 300:
        raise InspectionError(_("Nội dung kiểm tra dài quá %(n)s ký tự.") % {"n": 300}, "title")
    InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    if not code:
        # Free areas get the next free letter code: A, B, C…
        taken = set(plan.areas.values_list("code", flat=True))
        code = next(c for c in (f"{chr(65 + i % 26)}{i // 26 or ''}" for i in range(1000)) if c not in taken)
    if len(code) > 20:
        raise InspectionError(_("Mã dài quá %(n)s ký tự.") % {"n": 20}, "code")
    if plan.areas.filter(code__iexact=code).exists():
        raise InspectionError(_("Kế hoạch đã có nội dung kiểm tra mã “%(code)s”.") % {"code": code}, "code")
    return ContentArea.objects.create(plan=plan, code=code, title=title, domain_code=domain_code, position=_next_position(plan))


@transaction.atomic
def areas_from_criteria_set(*, plan: InspectionPlan, criteria_set) -> tuple[list[ContentArea], list[str]]:
    """One area per scoring domain of a published set (bonus and penalty sections are not checked
    on site); domains already in the plan are skipped. (created, skipped codes)."""
    from scoring import engine

    if not criteria_set.is_published:
        raise InspectionError(_("Chỉ dùng được bộ tiêu chí đã ban hành."), "criteria_set")
    InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    existing = {a.code.casefold(): a for a in plan.areas.all()}
    have_domains = {a.domain_code for a in existing.values() if a.domain_code}
    position = _next_position(plan)
    created, skipped = [], []
    domains = criteria_set.criteria.filter(parent__isnull=True, kind=engine.Kind.SCORE.value).order_by("position")
    for domain in domains:
        if domain.code in have_domains or domain.code.casefold() in existing:
            skipped.append(domain.code)
            continue
        area = ContentArea.objects.create(
            plan=plan, code=domain.code, title=clean_text(domain.title)[:300], domain_code=domain.code, position=position
        )
        existing[area.code.casefold()] = area
        created.append(area)
        position += 1
    return created, skipped


@transaction.atomic
def area_delete(*, area: ContentArea) -> None:
    """Only an area nothing was recorded against (a check with content, or a finding)."""
    used = VisitCheck.objects.filter(area=area).filter(Q(checked=True) | ~Q(result="")).exists()
    if used or area.findings.exists():
        raise InspectionError(
            _("Nội dung “%(title)s” đã có kết quả kiểm tra được ghi; không thể xoá.") % {"title": area.title}
        )
    area.delete()


# ---------------------------------------------------------------- visits and delegations


@transaction.atomic
def visits_add(*, plan: InspectionPlan, units: Iterable[Unit], planned_date: dt.date | None = None) -> tuple[list[Visit], list[Unit]]:
    """Add a visit per unit; units already in the plan are skipped. (created, skipped)."""
    InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    units = list({u.pk: u for u in units}.values())
    if not units:
        raise InspectionError(_("Chưa chọn đơn vị nào."), "units")
    if planned_date and not (dt.date(plan.year - 1, 1, 1) <= planned_date <= dt.date(plan.year + 1, 12, 31)):
        raise InspectionError(
            _("Ngày dự kiến %(date)s không thuộc năm %(year)s của kế hoạch.") % {"date": planned_date.strftime("%d/%m/%Y"), "year": plan.year},
            "planned_date",
        )
    have = set(plan.visits.values_list("unit_id", flat=True))
    created, skipped = [], []
    for unit in sorted(units, key=lambda u: u.code):
        if unit.pk in have:
            skipped.append(unit)
            continue
        created.append(Visit.objects.create(plan=plan, unit=unit, planned_date=planned_date))
    return created, skipped


@transaction.atomic
def visit_delete(*, visit: Visit) -> None:
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    if locked.status != Visit.Status.PLANNED or locked.findings.exists() or locked.documents.exists():
        raise InspectionError(_("Cuộc kiểm tra đã được ghi kết quả; không thể xoá khỏi kế hoạch."))
    locked.delete()


@dataclass
class MemberData:
    full_name: str
    role: str
    position_title: str = ""
    agency: str = ""
    user: object | None = None


def _may_join(user) -> bool:
    from accounts.models import Role

    return user.has_role(Role.INSPECTOR) or user.has_role(Role.HOME_AFFAIRS)


KEEP = object()  # "leave the planned date as it is"


@transaction.atomic
def delegation_save(*, visit: Visit, members: list[MemberData], planned_date=KEEP) -> list[DelegationMember]:
    """Replace the delegation of a visit: exactly one head; linked accounts must hold the inspector role.
    `planned_date` (a date or None) is changed only when given."""
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    rows = []
    seen_users = set()
    for member in members:
        name = clean_text(member.full_name) or (clean_text(member.user.get_full_name()) if member.user else "")
        if not name:
            raise InspectionError(_("Mỗi thành viên cần có họ và tên."), "members")
        if member.role not in DelegationMember.Role.values:
            raise InspectionError(_("Vai trò “%(role)s” không hợp lệ.") % {"role": member.role}, "members")
        if member.user is not None:
            if not _may_join(member.user):
                raise InspectionError(
                    _("Tài khoản %(user)s không có vai trò thành viên đoàn kiểm tra.") % {"user": member.user.username}, "members"
                )
            if member.user.pk in seen_users:
                raise InspectionError(_("Tài khoản %(user)s được chọn hai lần.") % {"user": member.user.username}, "members")
            seen_users.add(member.user.pk)
        position_title, agency = clean_text(member.position_title), clean_text(member.agency)
        if member.user is not None:  # blanks are taken from the account
            position_title = position_title or clean_text(member.user.position_title)
            agency = agency or (member.user.unit.name if member.user.unit_id else "")
        rows.append(
            DelegationMember(
                visit=locked, user=member.user, full_name=name[:150], role=member.role,
                position_title=position_title[:150], agency=agency[:200],
            )
        )
    heads = sum(1 for r in rows if r.role == DelegationMember.Role.HEAD)
    if heads != 1:
        raise InspectionError(
            _("Đoàn kiểm tra phải có đúng một trưởng đoàn (đang có %(n)s).") % {"n": heads}, "members"
        )
    order = {role: i for i, role in enumerate(DelegationMember.Role.values)}
    rows.sort(key=lambda r: order[r.role])  # stable: the order typed is kept within a role
    for index, row in enumerate(rows, start=1):
        row.position = index
    locked.members.all().delete()
    DelegationMember.objects.bulk_create(rows)
    if planned_date is not KEEP and planned_date != locked.planned_date:
        locked.planned_date = planned_date
        locked.save(update_fields=["planned_date", "updated_at"])
    return rows


# ---------------------------------------------------------------- the visit on site


def criteria_set_for_visit(visit: Visit):
    """The published criteria set of the unit's group for the plan's year: the yearly round's set when
    a round is open, else the newest published version; None when there is none."""
    from criteria.models import CriteriaSet
    from scoring.models import Round

    round_ = Round.objects.filter(year=visit.plan.year, group_id=visit.unit.group_id).select_related("criteria_set").first()
    if round_ and round_.criteria_set.is_published:
        return round_.criteria_set
    return (
        CriteriaSet.objects.published()
        .filter(year=visit.plan.year, group_id=visit.unit.group_id)
        .order_by("-version", "-pk")
        .first()
    )


def criterion_codes(criteria_set) -> set[str]:
    if criteria_set is None:
        return set()
    return set(criteria_set.criteria.values_list("code", flat=True))


def check_criterion_code(code: str, visit: Visit, codes: set[str] | None = None, criteria_set=None) -> str:
    """The code as stored ("" when none), or InspectionError when it is not in the unit's set."""
    code = clean_text(code)
    if not code:
        return ""
    if codes is None:
        criteria_set = criteria_set if criteria_set is not None else criteria_set_for_visit(visit)
        if criteria_set is None:
            raise InspectionError(
                _("Chưa có bộ tiêu chí đã ban hành năm %(year)s cho nhóm của %(unit)s; để trống mã tiêu chí.")
                % {"year": visit.plan.year, "unit": visit.unit.name},
                "criterion_code",
            )
        codes = criterion_codes(criteria_set)
    if code not in codes:
        # Codes are typed on phones: accept "1.1.1 " or "b.1" for "B.1".
        matches = [c for c in codes if c.casefold() == code.casefold()]
        if len(matches) == 1:
            return matches[0]
        raise InspectionError(
            _("Mã tiêu chí “%(code)s” không có trong bộ tiêu chí năm %(year)s của %(unit)s.")
            % {"code": code, "year": visit.plan.year, "unit": visit.unit.name},
            "criterion_code",
        )
    return code


def lock_open_visit(visit: Visit) -> Visit:
    """Lock the visit row and check it still takes changes (call inside atomic)."""
    locked = Visit.objects.select_for_update(of=("self",)).select_related("plan", "unit").get(pk=visit.pk)
    if locked.status == Visit.Status.CONCLUDED:
        raise InspectionError(_("Đã có thông báo kết luận kiểm tra; không thể thay đổi kết quả kiểm tra."))
    return locked


@dataclass
class CheckData:
    area_id: int
    checked: bool
    result: str


def _save_checks(visit: Visit, checks: Iterable[CheckData], user) -> int:
    """Create or update the checklist rows that differ; the number changed."""
    areas = set(visit.plan.areas.values_list("pk", flat=True))
    current = {c.area_id: c for c in visit.checks.all()}
    changed = 0
    now = timezone.now()
    for data in checks:
        if data.area_id not in areas:
            raise InspectionError(_("Nội dung kiểm tra không thuộc kế hoạch này."))
        result = (data.result or "").strip()
        existing = current.get(data.area_id)
        if existing is None:
            if not data.checked and not result:
                continue
            VisitCheck.objects.create(visit=visit, area_id=data.area_id, checked=data.checked, result=result, updated_by=user, updated_at=now)
            changed += 1
        elif existing.checked != data.checked or existing.result != result:
            existing.checked, existing.result, existing.updated_by, existing.updated_at = data.checked, result, user, now
            existing.save(update_fields=["checked", "result", "updated_by", "updated_at"])
            changed += 1
    return changed


@transaction.atomic
def visit_record(
    *,
    visit: Visit,
    user,
    started_at: dt.datetime | None,
    ended_at: dt.datetime | None,
    place: str,
    unit_attendees: str,
    unit_opinion: str,
    checks: Iterable[CheckData] = (),
) -> Visit:
    """Save what happened on site (time, place, attendees, checklist, the unit's opinion): status done."""
    locked = lock_open_visit(visit)
    if started_at and ended_at and ended_at < started_at:
        raise InspectionError(_("Giờ kết thúc phải sau giờ bắt đầu."), "ended_at")
    locked.started_at, locked.ended_at = started_at, ended_at
    locked.place = clean_text(place)[:300]
    locked.unit_attendees = "\n".join(clean_text(line) for line in (unit_attendees or "").splitlines() if clean_text(line))
    locked.unit_opinion = (unit_opinion or "").strip()
    _save_checks(locked, checks, user)
    locked.status = Visit.Status.DONE
    locked.save()
    return locked


def _store_attachment(finding: Finding, uploaded_file, user) -> tuple[FindingAttachment, bool]:
    """Check a photo or document by content (scoring.evidence rules) and store it under its sha256."""
    from scoring.evidence import check_upload
    from scoring.services import ScoringError

    try:
        name, content_type, sha256, size = check_upload(uploaded_file)
    except ScoringError as exc:
        raise InspectionError(exc.message, "files") from None
    existing = finding.attachments.filter(sha256=sha256).first()
    if existing:
        return existing, False
    attachment = FindingAttachment(
        finding=finding, original_name=name, content_type=content_type, size=size, sha256=sha256,
        uploaded_by=user, uploaded_at=timezone.now(),
    )
    uploaded_file.seek(0)
    attachment.file.save(name, uploaded_file, save=False)
    attachment.save()
    return attachment, True


def _finding_values(visit: Visit, *, kind: str, text: str, cause: str, area, criterion_code: str) -> dict:
    text = (text or "").strip()
    cause = (cause or "").strip()
    if kind not in Finding.Kind.values:
        raise InspectionError(_("Chọn ưu điểm hoặc tồn tại, hạn chế."), "kind")
    if not text:
        raise InspectionError(_("Cần nhập nội dung kết quả kiểm tra."), "text")
    if area is not None and area.plan_id != visit.plan_id:
        raise InspectionError(_("Nội dung kiểm tra không thuộc kế hoạch này."), "area")
    if kind == Finding.Kind.STRENGTH:
        cause = ""  # causes are written for shortcomings only
    return {
        "kind": kind,
        "text": text,
        "cause": cause,
        "area": area,
        "criterion_code": check_criterion_code(criterion_code, visit),
    }


def _discard_files(names: list[tuple]) -> None:
    for storage, name in names:
        try:
            storage.delete(name)
        except OSError:
            pass


def _with_files(work):
    """Run `work(stored)` in a transaction; stored files of a failed attempt are removed."""
    stored: list[tuple] = []
    try:
        with transaction.atomic():
            return work(stored)
    except Exception:
        _discard_files(stored)
        raise


def _attach_all(finding: Finding, files, user, stored: list) -> None:
    for uploaded in files or ():
        attachment, created = _store_attachment(finding, uploaded, user)
        if created:
            stored.append((attachment.file.storage, attachment.file.name))


def finding_add(
    *, visit: Visit, user, kind: str, text: str, cause: str = "", area=None, criterion_code: str = "", files=()
) -> Finding:
    """A strength or a shortcoming with its photos and documents; nothing is kept if any file is refused."""

    def work(stored):
        locked = lock_open_visit(visit)
        values = _finding_values(locked, kind=kind, text=text, cause=cause, area=area, criterion_code=criterion_code)
        last = locked.findings.filter(kind=kind).order_by("-position").values_list("position", flat=True).first()
        finding = Finding.objects.create(visit=locked, position=(last or 0) + 1, created_by=user, created_at=timezone.now(), **values)
        _attach_all(finding, files, user, stored)
        return finding

    return _with_files(work)


def finding_update(
    *, finding: Finding, user, kind: str, text: str, cause: str = "", area=None, criterion_code: str = "", files=()
) -> Finding:
    def work(stored):
        locked = lock_open_visit(finding.visit)
        values = _finding_values(locked, kind=kind, text=text, cause=cause, area=area, criterion_code=criterion_code)
        for key, value in values.items():
            setattr(finding, key, value)
        finding.save()
        _attach_all(finding, files, user, stored)
        return finding

    return _with_files(work)


def _delete_files_on_commit(attachments) -> None:
    names = [(a.file.storage, a.file.name) for a in attachments if a.file.name]
    transaction.on_commit(lambda: _discard_files(names))


@transaction.atomic
def finding_delete(*, finding: Finding, user) -> None:
    lock_open_visit(finding.visit)
    if finding.actions.exists():
        raise InspectionError(_("Kết quả này đã có yêu cầu khắc phục; hãy xoá các yêu cầu trước."))
    attachments = list(finding.attachments.all())
    finding.delete()
    _delete_files_on_commit(attachments)


@transaction.atomic
def attachment_delete(*, attachment: FindingAttachment, user) -> None:
    lock_open_visit(attachment.finding.visit)
    attachment.delete()
    _delete_files_on_commit([attachment])

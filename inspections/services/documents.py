"""The minutes ("Biên bản kiểm tra") and the conclusion notice ("Thông báo kết luận kiểm tra") of a
visit, built from the recorded data and laid out under Decree 30/2020/NĐ-CP.

Nothing in the body is retyped: `document_snapshot` reads the visit (time, place, delegation, the
unit's attendees, the checklist, findings, causes, remedial actions, the unit's opinion) into a
JSON-able dict, and `document_context` turns a snapshot plus the header data Home Affairs enters
(number, date, agencies, legal bases, signer, recipients) into the template context. A draft is
rendered from a fresh snapshot each time; issuing stores the snapshot in `content` and the rendered
PDF bytes in `pdf`, and an issued document never changes again: a correction is a new document
that `replaces` it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.pdf import render_pdf, vn_long_date
from core.text import clean_text
from inspections.models import DelegationMember, Finding, InspectionDocument, RemedialAction, Visit

from .document_text import (
    DOTS,
    KEEP_LINE,
    DocumentError,
    as_date,
    as_datetime,
    clean_lines,
    dmy,
    document_number_normalize,
    keep_numbers,
    number_slug,
    plan_reference,
    province_place,
    punctuated,
    recipient_lines,
    vn_short_date,
)

Kind = InspectionDocument.Kind
Status = InspectionDocument.Status

TEMPLATES = {
    Kind.MINUTES: "documents/inspection_minutes.html",
    Kind.NOTICE: "documents/inspection_notice.html",
}
SNAPSHOT_VERSION = 1
# What Home Affairs enters on the form; everything else comes from the recorded visit.
HEADER_FIELDS = (
    "number", "issue_date", "place", "parent_agency", "issuing_agency", "legal_bases", "summary",
    "signer_authority", "signer_title", "signer_name", "recipients",
)
MINUTES_SIGNER_TITLE = "TRƯỞNG ĐOÀN KIỂM TRA"
_ROLE_ORDER = {
    DelegationMember.Role.HEAD: 0,
    DelegationMember.Role.DEPUTY: 1,
    DelegationMember.Role.MEMBER: 2,
    DelegationMember.Role.SECRETARY: 3,
}


# ---------------------------------------------------------------- defaults for a new document


def _head(visit: Visit) -> DelegationMember | None:
    return visit.members.filter(role=DelegationMember.Role.HEAD).order_by("position", "pk").first()


def _visit_day(visit: Visit) -> dt.date | None:
    if visit.started_at:
        return timezone.localtime(visit.started_at).date()
    return as_date(visit.planned_date)


def document_defaults(*, visit: Visit, kind: str) -> dict:
    """Prefilled header data for a new document of the visit, from the plan and its organizer."""
    plan = visit.plan
    organizer = plan.organizer
    province = settings.PROVINCE_NAME
    parent = organizer.parent.name if organizer.parent_id else f"UBND {province}"
    head = _head(visit)
    bases = [f"Căn cứ {plan_reference(plan)}"]
    data = {
        "place": province_place(province),
        "parent_agency": parent.upper(),
        "issuing_agency": organizer.name.upper(),
        "summary": "",
    }
    if kind == Kind.MINUTES:
        data.update(
            issue_date=_visit_day(visit),
            signer_authority="",
            signer_title=MINUTES_SIGNER_TITLE,
            signer_name=head.full_name if head else "",
            recipients="",
        )
    else:
        minutes = (
            visit.documents.filter(kind=Kind.MINUTES, status=Status.ISSUED).order_by("-issued_at", "-pk").first()
        )
        if minutes:
            bases.append(
                f"Căn cứ Biên bản kiểm tra số {minutes.number} ngày {vn_short_date(minutes.issue_date)} "
                f"của Đoàn kiểm tra tại {visit.unit.name}"
            )
        else:
            day = _visit_day(visit)
            when = f" ngày {vn_short_date(day)}" if day else ""
            bases.append(f"Căn cứ kết quả kiểm tra công tác cải cách hành chính tại {visit.unit.name}{when}")
        deputy_head = bool(head and head.position_title.lower().startswith("phó giám đốc"))
        data.update(
            issue_date=None,
            signer_authority="KT. GIÁM ĐỐC",
            signer_title="PHÓ GIÁM ĐỐC",
            signer_name=head.full_name if deputy_head else "",
            recipients="\n".join(
                [
                    visit.unit.name,
                    f"UBND {province} (để báo cáo)",
                    "Thành viên Đoàn kiểm tra",
                    KEEP_LINE,
                ]
            ),
        )
    data["legal_bases"] = "\n".join(punctuated(bases))
    data["number"] = ""
    return data


# ---------------------------------------------------------------- the recorded data


def document_snapshot(*, visit: Visit) -> dict:
    """Everything a document shows about the visit, as JSON (stored in `content` when issued)."""
    visit = Visit.objects.select_related("plan__organizer", "unit").get(pk=visit.pk)
    plan = visit.plan
    members = sorted(visit.members.all(), key=lambda m: (_ROLE_ORDER.get(m.role, 9), m.position, m.pk))
    checks = visit.checks.select_related("area").order_by("area__position", "area__code", "pk")
    findings = (
        Finding.objects.filter(visit=visit).select_related("area").order_by("position", "pk")
    )
    actions = {}
    for action in RemedialAction.objects.filter(finding__visit=visit).select_related("responsible_unit").order_by("pk"):
        actions.setdefault(action.finding_id, []).append(
            {
                "text": action.text,
                "responsible_unit": action.responsible_unit.name,
                "deadline": action.deadline.isoformat() if action.deadline else None,
            }
        )

    def finding(f):
        return {
            "text": f.text,
            "cause": f.cause,
            "area": f.area.title if f.area_id else "",
            "criterion_code": f.criterion_code,
            "actions": actions.get(f.pk, []),
        }

    return {
        "version": SNAPSHOT_VERSION,
        "taken_at": timezone.now().isoformat(),
        "unit": {"code": visit.unit.code, "name": visit.unit.name},
        "organizer": plan.organizer.name,
        "plan": {
            "year": plan.year,
            "title": plan.title,
            "reference": plan_reference(plan),
            "short_reference": plan_reference(plan, short=True),
            "remedial_days": plan.remedial_days,
        },
        "visit": {
            "planned_date": as_date(visit.planned_date).isoformat() if visit.planned_date else None,
            "started_at": timezone.localtime(visit.started_at).isoformat() if visit.started_at else None,
            "ended_at": timezone.localtime(visit.ended_at).isoformat() if visit.ended_at else None,
            "place": visit.place,
            "unit_attendees": clean_lines(visit.unit_attendees),
            "unit_opinion": visit.unit_opinion.strip(),
        },
        "members": [
            {
                "name": m.full_name,
                "position": m.position_title,
                "agency": m.agency,
                "role": m.role,
                "role_label": str(DelegationMember.Role(m.role).label),
            }
            for m in members
        ],
        "checks": [
            {"area": c.area.title, "code": c.area.code, "checked": c.checked, "result": c.result.strip()}
            for c in checks
            if c.checked or c.result.strip()
        ],
        "strengths": [finding(f) for f in findings if f.kind == Finding.Kind.STRENGTH],
        "shortcomings": [finding(f) for f in findings if f.kind == Finding.Kind.SHORTCOMING],
    }


def _member_line(member: dict) -> str:
    """ "Nguyễn Thị Hoa – Phó Giám đốc Sở Nội vụ – Trưởng đoàn" (the agency only when the position
    does not already name it)."""
    parts = [member["name"]]
    position, agency = clean_text(member["position"]), clean_text(member["agency"])
    if position and agency and agency.lower() not in position.lower():
        parts.append(f"{position}, {agency}")
    elif position or agency:
        parts.append(position or agency)
    parts.append(member["role_label"])
    return " – ".join(parts)


def _clock(moment: dt.datetime | None) -> str:
    return f"{moment.hour:02d} giờ {moment.minute:02d} phút" if moment else f"{DOTS} giờ {DOTS} phút"


def document_context(*, document: InspectionDocument, snapshot: dict | None = None, draft: bool | None = None) -> dict:
    """The template context of a document: its header data plus a snapshot of the visit (the stored
    one for an issued document, a fresh one for a draft unless `snapshot` is given)."""
    if snapshot is None:
        snapshot = document.content if document.is_issued and document.content else document_snapshot(visit=document.visit)
    if draft is None:
        draft = not document.is_issued
    unit = snapshot["unit"]["name"]
    organizer = snapshot["organizer"]
    visit = snapshot["visit"]
    started = as_datetime(visit["started_at"])
    ended = as_datetime(visit["ended_at"])
    visit_day = started.date() if started else as_date(visit["planned_date"])
    members = snapshot["members"]
    head = next((m for m in members if m["role"] == DelegationMember.Role.HEAD), None)
    secretary = next((m for m in members if m["role"] == DelegationMember.Role.SECRETARY), None)
    issue_date = document.issue_date

    kind_word = "Biên bản" if document.kind == Kind.MINUTES else "Thông báo"
    replaces_note = ""
    if document.replaces_id:
        old = document.replaces
        old_kind = "Biên bản" if old.kind == Kind.MINUTES else "Thông báo"
        when = f" ngày {vn_short_date(old.issue_date)}" if old.issue_date else ""
        replaces_note = f"(Thay thế {old_kind} số {old.number or DOTS}{when})"

    plan_ref = snapshot["plan"].get("short_reference") or snapshot["plan"]["reference"]
    remedial_days = snapshot["plan"]["remedial_days"]
    # A draft shows the deadline issuing will set: the notice's date + the plan's remedial days.
    projected = issue_date + dt.timedelta(days=remedial_days) if issue_date else None
    actions = []
    for shortcoming in snapshot["shortcomings"]:
        for action in shortcoming["actions"]:
            deadline = as_date(action["deadline"]) or (projected if document.kind == Kind.NOTICE else None)
            if deadline:
                deadline_text = dmy(deadline)
            else:
                deadline_text = f"{remedial_days} ngày kể từ ngày ban hành Thông báo"
            actions.append({**action, "deadline": deadline.isoformat() if deadline else None,
                            "deadline_text": deadline_text, "finding": shortcoming["text"]})
    causes = []
    for shortcoming in snapshot["shortcomings"]:
        cause = clean_text(shortcoming["cause"])
        if cause and cause not in [clean_text(c) for c in causes]:
            causes.append(shortcoming["cause"].strip())

    deadlines = [as_date(a["deadline"]) for a in actions if a["deadline"]]
    candidates = [d for d in [*deadlines, projected] if d]
    report_by = max(candidates) if candidates else None

    if head:
        led_by = f"do đồng chí {head['name']}{', ' + head['position'] if head['position'] else ''} làm Trưởng đoàn "
    else:
        led_by = ""
    when = f"Ngày {vn_short_date(visit_day)}, " if visit_day else ""
    opening = (
        f"{when}Đoàn kiểm tra công tác cải cách hành chính {led_by}đã tiến hành kiểm tra công tác cải cách hành chính "
        f"tại {unit} theo {plan_ref}. Trên cơ sở báo cáo của đơn vị và kết quả kiểm tra thực tế, "
        f"{organizer} thông báo kết luận kiểm tra như sau:"
    )
    opening = opening[0].upper() + opening[1:]

    place = clean_text(visit["place"]) or f"trụ sở {unit}"
    minutes_open = (
        f"Hôm nay, hồi {_clock(started)}, "
        f"{vn_long_date(started.date()) if started else f'ngày {DOTS} tháng {DOTS} năm {DOTS}'}, tại {place}, "
        f"Đoàn kiểm tra công tác cải cách hành chính theo {plan_ref} "
        f"tiến hành kiểm tra công tác cải cách hành chính tại {unit}."
    )
    if ended and started and ended.date() != started.date():
        closing_time = f"{_clock(ended)}, {vn_long_date(ended.date())}"
    else:
        closing_time = f"{_clock(ended)} cùng ngày"
    minutes_close = (
        f"Biên bản được lập xong hồi {closing_time}, đã đọc lại cho các thành viên tham dự cùng nghe "
        "và thống nhất ký tên."
    )
    attendees = visit["unit_attendees"]
    representative = ""
    if attendees:
        representative = re.split(r"\s[–-]\s|,", attendees[0], maxsplit=1)[0].strip()

    if document.kind == Kind.MINUTES:
        title, summary = "BIÊN BẢN", f"Kiểm tra công tác cải cách hành chính tại {unit}"
        symbol = "BB"
    else:
        title, summary = "THÔNG BÁO", f"Kết luận kiểm tra công tác cải cách hành chính tại {unit}"
        symbol = "TB"

    return {
        "document": document,
        "draft": draft,
        "snapshot": snapshot,
        "kind_word": kind_word,
        "title": title,
        "summary": summary,
        "replaces_note": keep_numbers(replaces_note),
        "parent_agency": clean_text(document.parent_agency).upper(),
        "issuing_agency": clean_text(document.issuing_agency).upper(),
        "number": document.number or f"{DOTS}/{symbol}-{DOTS}",
        "place_date": (
            f"{clean_text(document.place) or DOTS}, {vn_long_date(issue_date)}"
            if issue_date
            else f"{clean_text(document.place) or DOTS}, ngày {DOTS} tháng {DOTS} năm {DOTS}"
        ),
        "bases": [keep_numbers(line) for line in punctuated(clean_lines(document.legal_bases))],
        "extra_paragraphs": clean_lines(document.summary),
        "unit": unit,
        "organizer": organizer,
        "opening": keep_numbers(opening),
        "minutes_open": keep_numbers(minutes_open),
        "minutes_close": minutes_close,
        "members": punctuated([_member_line(m) for m in members]),
        "attendees": punctuated(attendees),
        "representative": representative,
        "checks": snapshot["checks"],
        "strengths": snapshot["strengths"],
        "shortcomings": snapshot["shortcomings"],
        "causes": causes,
        "actions": actions,
        "report_by": dmy(report_by),
        "unit_opinion": visit["unit_opinion"],
        "signer_authority": clean_text(document.signer_authority).upper(),
        "signer_title": clean_text(document.signer_title).upper(),
        "signer_name": clean_text(document.signer_name),
        "head_name": head["name"] if head else "",
        "secretary_name": secretary["name"] if secretary else "",
        "has_secretary": bool(secretary),
        "recipients": recipient_lines(document.recipients) if document.recipients.strip() or document.kind == Kind.NOTICE else [],
    }


def document_render(*, document: InspectionDocument, draft: bool | None = None) -> bytes:
    """The PDF of a document as it stands: the stored bytes once issued, a fresh render of a draft."""
    if document.is_issued and draft is not True:
        with document.pdf.open("rb") as handle:
            return handle.read()
    return render_pdf(TEMPLATES[document.kind], document_context(document=document, draft=True if draft is None else draft))


# ---------------------------------------------------------------- drafts


def document_current_draft(*, visit: Visit, kind: str) -> InspectionDocument | None:
    return visit.documents.filter(kind=kind, status=Status.DRAFT).order_by("-created_at", "-pk").first()


def document_issued(*, visit: Visit, kind: str) -> InspectionDocument | None:
    """The latest issued document of that kind (the one in force)."""
    return visit.documents.filter(kind=kind, status=Status.ISSUED).order_by("-issued_at", "-pk").first()


@transaction.atomic
def document_save_draft(*, visit: Visit, kind: str, user, data: dict, document: InspectionDocument | None = None) -> InspectionDocument:
    """Create the visit's draft of `kind` or update it (only while it is a draft)."""
    fields = {name: data[name] for name in HEADER_FIELDS if name in data}
    if "number" in fields:
        fields["number"] = document_number_normalize(fields["number"] or "")
    for name in ("parent_agency", "issuing_agency", "signer_authority", "signer_title"):
        if name in fields:
            fields[name] = clean_text(fields[name]).upper()
    for name in ("place", "signer_name"):
        if name in fields:
            fields[name] = clean_text(fields[name])
    if document is None:
        if document_current_draft(visit=visit, kind=kind) is not None:
            raise DocumentError(_("Cuộc kiểm tra đã có một dự thảo văn bản loại này; hãy sửa dự thảo đó."))
        if document_issued(visit=visit, kind=kind) is not None:
            raise DocumentError(_("Văn bản đã ban hành không sửa được; hãy tạo văn bản thay thế."))
        return InspectionDocument.objects.create(visit=visit, kind=kind, **fields)
    updated = InspectionDocument.objects.filter(pk=document.pk, status=Status.DRAFT).update(**fields)
    if not updated:
        raise DocumentError(_("Văn bản đã ban hành không sửa được; hãy tạo văn bản thay thế."))
    document.refresh_from_db()
    return document


@transaction.atomic
def document_replace(*, document: InspectionDocument, user) -> InspectionDocument:
    """A correction: a new draft copying the issued document's header data, with `replaces` set.
    The number and date are left empty (the correction gets its own)."""
    if not document.is_issued:
        raise DocumentError(_("Chỉ tạo văn bản thay thế cho văn bản đã ban hành."))
    existing = document.replaced_by.order_by("-created_at", "-pk")
    draft = existing.filter(status=Status.DRAFT).first()
    if draft:
        return draft
    newer = existing.filter(status=Status.ISSUED).first()
    if newer:
        raise DocumentError(
            _("Văn bản này đã được thay thế bởi văn bản số %(number)s; hãy tạo văn bản thay thế từ văn bản đó.")
            % {"number": newer.number}
        )
    other = document_current_draft(visit=document.visit, kind=document.kind)
    if other:
        raise DocumentError(_("Cuộc kiểm tra đã có một dự thảo văn bản loại này; hãy sửa dự thảo đó."))
    fields = {name: getattr(document, name) for name in HEADER_FIELDS}
    fields.update(number="", issue_date=None)
    return InspectionDocument.objects.create(visit=document.visit, kind=document.kind, replaces=document, **fields)


# ---------------------------------------------------------------- issuing


def _reference_date(document: InspectionDocument) -> dt.date:
    """The date deadlines may not precede: the notice's own, or for a correction the date of the
    first notice it replaces (deadlines were set from that one)."""
    dates = [document.issue_date]
    seen = set()
    old = document.replaces
    while old is not None and old.pk not in seen:
        seen.add(old.pk)
        if old.issue_date:
            dates.append(old.issue_date)
        old = old.replaces
    return min(dates)


def _set_default_deadlines(*, visit: Visit, notice_date: dt.date) -> None:
    try:
        from inspections.services.actions import action_set_default_deadlines
    except ImportError:
        deadline = notice_date + dt.timedelta(days=visit.plan.remedial_days)
        RemedialAction.objects.filter(
            finding__visit=visit, finding__kind=Finding.Kind.SHORTCOMING, deadline__isnull=True
        ).update(deadline=deadline)
    else:
        action_set_default_deadlines(visit=visit, notice_date=notice_date)


def _check_ready(document: InspectionDocument) -> None:
    errors = []
    if not document.number.strip():
        errors.append(("number", _("Chưa nhập số, ký hiệu văn bản (ví dụ 12/TB-SNV): không ban hành được.")))
    if not document.issue_date:
        errors.append(("issue_date", _("Chưa nhập ngày ban hành (dd/mm/yyyy): không ban hành được.")))
    if not document.signer_name.strip():
        errors.append(("signer_name", _("Chưa nhập họ tên người ký: không ban hành được.")))
    if document.kind == Kind.MINUTES and not document.visit.started_at:
        errors.append((None, _("Cuộc kiểm tra chưa ghi thời gian bắt đầu: ghi thời gian, địa điểm kiểm tra trước khi ban hành biên bản.")))
    if document.number and document.issue_date:
        clash = (
            InspectionDocument.objects.filter(
                status=Status.ISSUED, number=document.number, issue_date__year=document.issue_date.year,
                issuing_agency=document.issuing_agency,
            )
            .exclude(pk=document.pk)
            .first()
        )
        if clash:
            errors.append(
                ("number", _("Số %(number)s đã dùng cho một văn bản khác ban hành năm %(year)s.")
                 % {"number": document.number, "year": document.issue_date.year})
            )
    if errors:
        raise DocumentError(errors)


@transaction.atomic
def document_issue(*, document: InspectionDocument, user) -> InspectionDocument:
    """Freeze a draft: check it, fill the notice's default deadlines, store the snapshot and the PDF
    bytes, mark it issued; issuing a conclusion notice concludes the visit."""
    document = (
        InspectionDocument.objects.select_for_update(of=("self",))  # PostgreSQL: no lock through the nullable "replaces" join
        .select_related("visit__plan__organizer", "visit__unit", "replaces")
        .get(pk=document.pk)
    )
    if document.is_issued:
        raise DocumentError(_("Văn bản đã được ban hành trước đó; không ban hành lại."))
    _check_ready(document)
    visit = document.visit
    if document.kind == Kind.NOTICE:
        reference = _reference_date(document)
        early = list(
            RemedialAction.objects.filter(finding__visit=visit, deadline__lt=reference).order_by("deadline", "pk")
        )
        if early:
            raise DocumentError(
                [
                    (
                        "issue_date",
                        _("Yêu cầu khắc phục “%(text)s” có hạn %(deadline)s, trước ngày thông báo kết luận (%(date)s): "
                          "sửa hạn khắc phục hoặc ngày ban hành.")
                        % {"text": action.text, "deadline": dmy(action.deadline), "date": dmy(reference)},
                    )
                    for action in early
                ]
            )
        _set_default_deadlines(visit=visit, notice_date=document.issue_date)
    snapshot = document_snapshot(visit=visit)
    pdf = render_pdf(TEMPLATES[document.kind], document_context(document=document, snapshot=snapshot, draft=False))
    snapshot["pdf_sha256"] = hashlib.sha256(pdf).hexdigest()
    slug = number_slug(document.number)
    filename = f"{visit.plan.year}_{visit.unit.code}_{document.kind}_{document.pk}_{slug}.pdf"
    field = document.pdf.field
    name = field.storage.save(field.generate_filename(document, filename), ContentFile(pdf))
    updated = InspectionDocument.objects.filter(pk=document.pk, status=Status.DRAFT).update(
        status=Status.ISSUED, pdf=name, content=snapshot, issued_at=timezone.now(), issued_by=user
    )
    if not updated:
        field.storage.delete(name)
        raise DocumentError(_("Văn bản đã được ban hành trước đó; không ban hành lại."))
    if document.kind == Kind.NOTICE:
        Visit.objects.filter(pk=visit.pk).exclude(status=Visit.Status.CONCLUDED).update(status=Visit.Status.CONCLUDED)
    document.refresh_from_db()
    return document

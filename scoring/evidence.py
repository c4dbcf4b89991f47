"""Evidence ("tài liệu kiểm chứng"): files checked by content, stored once per assessment, and
official document references, attached to the leaves of an assessment.

Views decide who may change what (accounts.access); these services re-check, under a lock on the
assessment row, that the assessment is still open for the purpose, so a POST racing a submission
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import unicodedata
import zipfile

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.text import clean_text

from .models import Assessment, EvidenceFile, LeafEvidence, Stage, ValueChange
from .services import ScoringError, unit_can_edit

# Read at call time (tests patch it smaller).
MAX_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024

PDF, JPEG, PNG, DOCX, XLSX, OLE2 = "pdf", "jpeg", "png", "docx", "xlsx", "ole2"

# extension -> (content kind it must have, content type stored)
EXTENSIONS: dict[str, tuple[str, str]] = {
    ".pdf": (PDF, "application/pdf"),
    ".jpg": (JPEG, "image/jpeg"),
    ".jpeg": (JPEG, "image/jpeg"),
    ".png": (PNG, "image/png"),
    ".docx": (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".doc": (OLE2, "application/msword"),
    ".xls": (OLE2, "application/vnd.ms-excel"),
}
ACCEPT = ",".join(EXTENSIONS)  # for <input accept>

_MAGIC = [
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE2),
]


def allowed_types_text() -> str:
    return _("Chỉ nhận tệp PDF, Word (.doc, .docx), Excel (.xls, .xlsx), ảnh JPG, PNG; tối đa %(mb)s MB mỗi tệp.") % {
        "mb": max(1, MAX_BYTES // (1024 * 1024))
    }


# ---------------------------------------------------------------- checking a file


def detect_kind(fileobj) -> str | None:
    """The kind of a file by its content (magic bytes; Office Open XML by its zip entries), or None."""
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(fileobj) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, RuntimeError):
            return None
        finally:
            fileobj.seek(0)
        if "[Content_Types].xml" not in names:
            return None
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
    return None


def clean_filename(name: str) -> str:
    """The user's file name, for display and Content-Disposition only (storage uses the hash)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = clean_text(name).strip(". ") or "tep"
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        name = stem[: 255 - len(ext)] + ext
    return name


def _human_mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def check_upload(uploaded_file: UploadedFile) -> tuple[str, str, str, int]:
    """(clean name, content type, sha256, size) of an acceptable file, or ScoringError."""
    name = clean_filename(getattr(uploaded_file, "name", ""))
    ext = os.path.splitext(name)[1].lower()
    if ext not in EXTENSIONS:
        raise ScoringError(
            _("Không nhận tệp “%(name)s”: loại tệp không được phép. %(allowed)s") % {"name": name, "allowed": allowed_types_text()}
        )
    limit = MAX_BYTES
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise ScoringError(
            _("Tệp “%(name)s” (%(size)s MB) vượt quá %(max)s MB.")
            % {"name": name, "size": _human_mb(uploaded_file.size), "max": max(1, limit // (1024 * 1024))}
        )
    digest = hashlib.sha256()
    size = 0
    for chunk in uploaded_file.chunks(CHUNK):
        size += len(chunk)
        if size > limit:
            raise ScoringError(
                _("Tệp “%(name)s” vượt quá %(max)s MB.") % {"name": name, "max": max(1, limit // (1024 * 1024))}
            )
        digest.update(chunk)
    if size == 0:
        raise ScoringError(_("Tệp “%(name)s” rỗng.") % {"name": name})
    expected, content_type = EXTENSIONS[ext]
    if detect_kind(uploaded_file) != expected:
        raise ScoringError(
            _("Không nhận tệp “%(name)s”: nội dung tệp không khớp với phần mở rộng %(ext)s. %(allowed)s")
            % {"name": name, "ext": ext, "allowed": allowed_types_text()}
        )
    return name, content_type, digest.hexdigest(), size


# ---------------------------------------------------------------- helpers


def _lock_open(assessment: Assessment, purpose: str) -> Assessment:
    """Lock the assessment row and check it still takes evidence for `purpose` (call inside atomic)."""
    locked = Assessment.objects.select_for_update(of=("self",)).select_related("round").get(pk=assessment.pk)
    if purpose == LeafEvidence.Purpose.SELF:
        if not unit_can_edit(locked):
            raise ScoringError(_("Phiếu đã nộp hoặc đã quá hạn tự chấm; không thể thay đổi tài liệu kiểm chứng."))
    elif purpose == LeafEvidence.Purpose.EXPLANATION:
        if locked.state != Assessment.State.EXPLANATION or locked.round.explanation_deadline_passed():
            raise ScoringError(_("Đã hết thời gian giải trình."))
    else:
        raise ScoringError(_("Mục đích tài liệu không hợp lệ."))
    return locked


def _check_criterion(assessment: Assessment, criterion) -> None:
    if criterion.criteria_set_id != assessment.round.criteria_set_id or not criterion.is_leaf:
        raise ScoringError(_("Tiêu chí %(code)s không thuộc phiếu đánh giá này.") % {"code": criterion.code})


def _store(assessment: Assessment, uploaded_file: UploadedFile, user) -> tuple[EvidenceFile, bool]:
    """Existing file with the same content, or a new one; (file, stored now). Call inside atomic."""
    name, content_type, sha256, size = check_upload(uploaded_file)
    existing = EvidenceFile.objects.filter(assessment=assessment, sha256=sha256).first()
    if existing:
        return existing, False
    evidence = EvidenceFile(
        assessment=assessment,
        original_name=name,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )
    evidence.file.save(name, uploaded_file, save=False)
    try:
        with transaction.atomic():
            evidence.save()
    except IntegrityError:
        # The same content arrived concurrently (the row lock makes this unlikely): keep the other copy.
        evidence.file.delete(save=False)
        return EvidenceFile.objects.get(assessment=assessment, sha256=sha256), False
    return evidence, True


def _discard_on_error(evidence: EvidenceFile | None, stored: bool) -> None:
    if evidence is not None and stored:
        evidence.file.delete(save=False)


def parse_date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    if not text:
        return None
    try:
        return dt.datetime.strptime(text.replace("-", "/").replace(".", "/"), "%d/%m/%Y").date()
    except ValueError:
        raise ScoringError(
            _("Ngày văn bản “%(value)s” không hợp lệ; nhập theo dạng dd/mm/yyyy, ví dụ 19/01/2017.") % {"value": text}
        ) from None


# ---------------------------------------------------------------- services


def _trace(link: LeafEvidence, user, *, added: bool) -> None:
    """Evidence added or removed goes to the same field-level history as the values."""
    label = " – ".join(x for x in (link.document_label, link.file.original_name if link.file_id else "") if x)
    ValueChange.objects.create(
        assessment_id=link.assessment_id,
        criterion_id=link.criterion_id,
        stage=Stage.SELF if link.purpose == LeafEvidence.Purpose.SELF else Stage.APPRAISAL,
        field="evidence",
        old_value="" if added else label,
        new_value=label if added else "",
        changed_by=user,
        reason=_("Thêm tài liệu kiểm chứng") if added else _("Gỡ tài liệu kiểm chứng"),
    )


def evidence_upload(*, assessment: Assessment, criterion, uploaded_file: UploadedFile, user, purpose: str = "self") -> LeafEvidence:
    """Check and store a file (once per assessment) and link it to the leaf."""
    _check_criterion(assessment, criterion)
    evidence, stored = None, False
    try:
        with transaction.atomic():
            locked = _lock_open(assessment, purpose)
            evidence, stored = _store(locked, uploaded_file, user)
            link = LeafEvidence.objects.filter(
                assessment=locked, criterion=criterion, purpose=purpose, file=evidence, document_number=""
            ).first()
            if link is None:
                link = LeafEvidence.objects.create(
                    assessment=locked, criterion=criterion, purpose=purpose, file=evidence, added_by=user, added_at=timezone.now()
                )
                _trace(link, user, added=True)
    except Exception:
        _discard_on_error(evidence, stored)
        raise
    return link


def evidence_link_existing(*, assessment: Assessment, criterion, file: EvidenceFile, user, purpose: str = "self") -> LeafEvidence:
    """Link a file already uploaded to this assessment to another leaf."""
    _check_criterion(assessment, criterion)
    if file is None or file.assessment_id != assessment.pk:
        raise ScoringError(_("Tệp không thuộc phiếu đánh giá này."))
    with transaction.atomic():
        locked = _lock_open(assessment, purpose)
        if not EvidenceFile.objects.filter(pk=file.pk).exists():
            raise ScoringError(_("Tệp đã bị xoá."))
        link = LeafEvidence.objects.filter(
            assessment=locked, criterion=criterion, purpose=purpose, file=file, document_number=""
        ).first()
        if link is None:
            link = LeafEvidence.objects.create(
                assessment=locked, criterion=criterion, purpose=purpose, file=file, added_by=user, added_at=timezone.now()
            )
            _trace(link, user, added=True)
    return link


def evidence_add_document(
    *, assessment: Assessment, criterion, number: str, date, title: str, user, purpose: str = "self", file=None
) -> LeafEvidence:
    """A reference to an official document ("137/KH-SGDĐT ngày 19/01/2017 – …"), with or without a file.

    `file`: None, an EvidenceFile of this assessment, or an uploaded file (checked and stored).
    """
    _check_criterion(assessment, criterion)
    number = clean_text(number)
    title = clean_text(title)
    if not number:
        raise ScoringError(_("Cần nhập số, ký hiệu văn bản."))
    if len(number) > 100:
        raise ScoringError(_("Số, ký hiệu văn bản dài quá %(n)s ký tự.") % {"n": 100})
    if len(title) > 500:
        raise ScoringError(_("Trích yếu dài quá %(n)s ký tự.") % {"n": 500})
    date = parse_date(date)
    if date and not (dt.date(1945, 1, 1) <= date <= timezone.localdate() + dt.timedelta(days=366)):
        raise ScoringError(_("Ngày văn bản %(date)s nằm ngoài khoảng hợp lý.") % {"date": date.strftime("%d/%m/%Y")})
    if isinstance(file, EvidenceFile) and file.assessment_id != assessment.pk:
        raise ScoringError(_("Tệp không thuộc phiếu đánh giá này."))
    evidence, stored = None, False
    try:
        with transaction.atomic():
            locked = _lock_open(assessment, purpose)
            if isinstance(file, EvidenceFile):
                evidence = file
            elif file is not None:
                evidence, stored = _store(locked, file, user)
            link = LeafEvidence.objects.create(
                assessment=locked,
                criterion=criterion,
                purpose=purpose,
                file=evidence,
                document_number=number,
                document_date=date,
                document_title=title,
                added_by=user,
                added_at=timezone.now(),
            )
            _trace(link, user, added=True)
    except Exception:
        _discard_on_error(evidence if stored else None, stored)
        raise
    return link


def evidence_remove(*, link: LeafEvidence, user) -> None:
    """Remove one link; the file goes too (row and stored content) when no other link uses it."""
    with transaction.atomic():
        _lock_open(link.assessment, link.purpose)
        file_id = link.file_id
        deleted, _rows = LeafEvidence.objects.filter(pk=link.pk).delete()
        if deleted:
            _trace(link, user, added=False)
        if not deleted or file_id is None:
            return
        if LeafEvidence.objects.filter(file_id=file_id).exists():
            return
        evidence = EvidenceFile.objects.filter(pk=file_id).first()
        if evidence is None:
            return
        storage, name = evidence.file.storage, evidence.file.name
        evidence.delete()
        # Delete the content only once the row is gone for good.
        transaction.on_commit(lambda: storage.delete(name) if name else None)

"""`backup` then `restore` loses nothing: every row of every model and every file's bytes, on
SQLite and on PostgreSQL (CI runs both); a damaged archive or a non-empty database is refused."""

import hashlib
import io
import shutil
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import User
from core.backup import row_counts
from inspections.models import InspectionDocument
from scoring.evidence import evidence_upload
from scoring.models import Assessment, EvidenceFile, PublishedResult
from scoring.ranking import round_publish

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
ISSUED_PDF = b"%PDF-1.7\n% th\xc3\xb4ng b\xc3\xa1o k\xe1\xba\xbft lu\xe1\xba\xadn\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def _files() -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def province(assessment_a, visit_a, cast, client):
    """A round with evidence files, an inspection with an issued document, a logged-in session."""
    criteria = assessment_a.round.criteria_set.criteria
    evidence_upload(assessment=assessment_a, criterion=criteria.get(code="1.1.1"),
                    uploaded_file=SimpleUploadedFile("ke-hoach.pdf", PDF), user=cast["staff_a"])
    evidence_upload(assessment=assessment_a, criterion=criteria.get(code="1.1.1"),
                    uploaded_file=SimpleUploadedFile("bao-cao.pdf", PDF + b"% v2\n"), user=cast["staff_a"])
    document = InspectionDocument(visit=visit_a, kind=InspectionDocument.Kind.NOTICE, status=InspectionDocument.Status.ISSUED,
                                  number="12/TB-SNV", issued_at=timezone.now(), issued_by=cast["admin"], content={"đoàn": "Sở Nội vụ"})
    document.pdf.save("12-TB-SNV.pdf", ContentFile(ISSUED_PDF), save=False)
    document.save()
    round_publish(round_=assessment_a.round, user=cast["admin"])  # frozen figures, stored as JSON text
    client.force_login(cast["staff_a"])
    return {"document": document}


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_loses_nothing(province, tmp_path, capsys):
    counts, files = row_counts(), _files()
    assert counts["scoring.evidencefile"] == 2 and counts["inspections.inspectiondocument"] == 1
    assert counts["sessions.session"] == 1 and counts["accounts.user_appraised_groups"] == 1
    assert len(files) == 3
    totals = list(Assessment.objects.order_by("pk").values_list("pk", "unit__code", "state", "self_total"))
    published = list(PublishedResult.objects.order_by("pk").values_list("unit_id", "total", "domains", "leaves"))
    assert published and published[0][3]["1.1.1"] is not None

    archive = tmp_path / "sao-luu" / "cchc.tar.gz"
    call_command("backup", output=str(archive))
    assert "3 tệp" in capsys.readouterr().out

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))  # the database still holds data

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    assert not any(row_counts().values()) and not Path(settings.MEDIA_ROOT).exists()

    call_command("restore", str(archive))
    out = capsys.readouterr().out
    assert "3 tệp" in out and "khớp" in out
    assert row_counts() == counts
    assert _files() == files
    assert list(Assessment.objects.order_by("pk").values_list("pk", "unit__code", "state", "self_total")) == totals
    assert list(PublishedResult.objects.order_by("pk").values_list("unit_id", "total", "domains", "leaves")) == published
    document = InspectionDocument.objects.get(pk=province["document"].pk)
    assert document.pdf.read() == ISSUED_PDF and document.content == {"đoàn": "Sở Nội vụ"}
    evidence = EvidenceFile.objects.order_by("pk").first()
    assert hashlib.sha256(evidence.file.read()).hexdigest() == evidence.sha256
    assert User.objects.get(username="canbo.a").check_password("Matkhau@2026")

    # Over a database that has data: only with --yes, and the result is the same.
    User.objects.create(username="moi")
    call_command("restore", str(archive), yes=True)
    assert row_counts() == counts and _files() == files


def _tamper(source: Path, target: Path, name: str, data: bytes) -> None:
    with tarfile.open(source, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src:
            content = src.extractfile(member).read() if member.isfile() else None
            if member.name == name:
                content, member.size = data, len(data)
            dst.addfile(member, io.BytesIO(content) if content is not None else None)


@pytest.mark.django_db(transaction=True)
def test_a_damaged_archive_is_refused_before_anything_changes(province, tmp_path):
    archive = tmp_path / "cchc.tar.gz"
    call_command("backup", output=str(archive))
    counts, files = row_counts(), _files()
    name = "media/" + province["document"].pdf.name
    damaged = tmp_path / "hong.tar.gz"
    _tamper(archive, damaged, name, ISSUED_PDF.replace(b"1.7", b"1.6"))
    with pytest.raises(CommandError, match="SHA-256"):
        call_command("restore", str(damaged), yes=True)
    assert row_counts() == counts and _files() == files  # nothing was touched

    (tmp_path / "khong-phai.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(CommandError, match="Không đọc được"):
        call_command("restore", str(tmp_path / "khong-phai.tar.gz"), yes=True)
    escaping = tmp_path / "escaping.tar.gz"  # a path that would leave MEDIA_ROOT
    with tarfile.open(escaping, "w:gz") as dst:
        info = tarfile.TarInfo("media/../../etc/x")
        info.size = 1
        dst.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(CommandError, match="không hợp lệ"):
        call_command("restore", str(escaping), yes=True)
    assert row_counts() == counts

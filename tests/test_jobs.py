"""Background jobs (core/jobs.py) in eager mode, as `make run` runs them without Redis: a job
runs, reports progress, stores its file for download; only its owner or Home Affairs see it;
a failing job shows its error; the exports re-check access like the page they come from."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from core import jobs
from core.jobs import JobError, JobKind, job_start
from core.models import Job
from inspections.models import InspectionDocument

SEEN_PROGRESS = []


def counting_job(job, progress):
    for percent in (25, 50, 75):
        progress(percent, f"bước {percent}")
        SEEN_PROGRESS.append(Job.objects.get(pk=job.pk).progress)
    return "dem.txt", f"{job.params['n']} dòng".encode()


def failing_job(job, progress):
    progress(30)
    raise JobError("Tệp nguồn không hợp lệ: thiếu cột Mã đơn vị")


def crashing_job(job, progress):
    raise RuntimeError("secret internal detail")


def anyone(user, params):
    return None


@pytest.fixture
def test_kinds(monkeypatch):
    for name, run in (("count", "counting_job"), ("fail", "failing_job"), ("crash", "crashing_job")):
        monkeypatch.setitem(jobs.JOB_KINDS, name, JobKind(name, f"tests.test_jobs.{run}", "tests.test_jobs.anyone"))
    SEEN_PROGRESS.clear()


def test_a_job_runs_reports_progress_and_offers_its_file(test_kinds, cast, login):
    job = job_start("count", {"n": 3}, cast["staff_a"])
    assert job.status == Job.Status.DONE and job.progress == 100 and job.finished_at
    assert SEEN_PROGRESS == [25, 50, 75]
    client = login(cast["staff_a"])
    page = client.get(reverse("core:job", args=[job.pk]))
    assert page.status_code == 200 and "dem.txt" in page.content.decode()
    state = client.get(reverse("core:job_status", args=[job.pk])).json()
    assert state["status"] == "done" and state["progress"] == 100 and state["finished"]
    download = client.get(state["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == "3 dòng".encode()
    assert "dem.txt" in download["Content-Disposition"]


def test_only_the_owner_or_home_affairs_see_a_job(test_kinds, cast, login, client):
    job = job_start("count", {"n": 1}, cast["staff_a"])
    for name in ("staff_b", "head_a", "viewer"):
        other = login(cast[name])
        for url in ("core:job", "core:job_status", "core:job_download"):
            assert other.get(reverse(url, args=[job.pk])).status_code == 404, (name, url)
    admin = login(cast["admin"])
    assert admin.get(reverse("core:job_status", args=[job.pk])).status_code == 200
    client.logout()
    assert client.get(reverse("core:job", args=[job.pk])).status_code == 302  # to the login page


def test_a_failing_job_shows_its_error(test_kinds, cast, login):
    job = job_start("fail", {}, cast["staff_a"])
    assert job.status == Job.Status.FAILED and not job.result
    client = login(cast["staff_a"])
    state = client.get(reverse("core:job_status", args=[job.pk])).json()
    assert state["status"] == "failed" and state["message"] == "Tệp nguồn không hợp lệ: thiếu cột Mã đơn vị"
    assert state["download_url"] == ""
    assert "thiếu cột Mã đơn vị" in client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert client.get(reverse("core:job_download", args=[job.pk])).status_code == 404


def test_an_unexpected_error_is_named_without_internal_details(test_kinds, cast):
    job = job_start("crash", {}, cast["staff_a"])
    assert job.status == Job.Status.FAILED
    assert "RuntimeError" in job.message and "secret" not in job.message


def test_a_finished_job_is_not_run_again(test_kinds, cast):
    job = job_start("count", {"n": 2}, cast["staff_a"])
    SEEN_PROGRESS.clear()
    jobs.job_run(job.pk)  # a redelivered task
    assert SEEN_PROGRESS == [] and Job.objects.get(pk=job.pk).status == Job.Status.DONE


# The real exports.


def test_ranking_exports_as_jobs_above_the_threshold(assessment_a, round_so, cast, login, settings):
    admin = login(cast["admin"])
    page = admin.get(reverse("scoring:ranking", args=[round_so.pk])).content.decode()
    assert reverse("scoring:ranking_job", args=[round_so.pk]) not in page  # small group: direct downloads
    settings.JOB_UNITS_THRESHOLD = 2
    page = admin.get(reverse("scoring:ranking", args=[round_so.pk])).content.decode()
    assert reverse("scoring:ranking_job", args=[round_so.pk]) in page

    response = admin.post(reverse("scoring:ranking_job", args=[round_so.pk]), {"format": "xlsx", "stage": "final"})
    job = Job.objects.get(kind="ranking_xlsx")
    assert response.status_code == 302 and response["Location"] == reverse("core:job", args=[job.pk])
    assert job.status == Job.Status.DONE, job.message
    body = b"".join(admin.get(reverse("core:job_download", args=[job.pk])).streaming_content)
    direct = admin.get(reverse("scoring:ranking_xlsx", args=[round_so.pk])).content
    assert body[:2] == b"PK" and len(body) > 1000 and abs(len(body) - len(direct)) < 200
    assert job.result_name == f"chi-so-cchc-SO-{round_so.year}-tam-tinh.xlsx"

    admin.post(reverse("scoring:ranking_job", args=[round_so.pk]), {"format": "pdf", "stage": "self"})
    pdf_job = Job.objects.get(kind="ranking_pdf")
    assert pdf_job.status == Job.Status.DONE, pdf_job.message
    assert b"".join(admin.get(reverse("core:job_download", args=[pdf_job.pk])).streaming_content).startswith(b"%PDF")
    assert pdf_job.result_name == f"xep-hang-SO-{round_so.year}-self.pdf"


def test_ranking_jobs_check_access_like_the_page(assessment_a, round_so, cast, login):
    # Before publication a unit may not read the provisional ranking: neither start nor see a job.
    staff = login(cast["staff_a"])
    assert staff.post(reverse("scoring:ranking_job", args=[round_so.pk]), {"format": "xlsx"}).status_code == 403
    assert not Job.objects.exists()
    # A job started by an appraiser who then loses the group is gone for them.
    appraiser = cast["appraiser"]
    job = job_start("ranking_xlsx", {"round": round_so.pk, "stage": "final", "publication": ""}, appraiser)
    client = login(appraiser)
    assert client.get(reverse("core:job_download", args=[job.pk])).status_code == 200
    appraiser.appraised_groups.clear()
    assert client.get(reverse("core:job_download", args=[job.pk])).status_code == 404
    # Another group's staff cannot start one either (404, as for the page).
    other = login(cast["staff_x"])
    assert other.post(reverse("scoring:ranking_job", args=[round_so.pk]), {"format": "pdf"}).status_code == 404


def _issued(visit, admin, number: str, data: bytes) -> InspectionDocument:
    from django.utils import timezone

    document = InspectionDocument(visit=visit, kind=InspectionDocument.Kind.NOTICE, status=InspectionDocument.Status.ISSUED,
                                  number=number, issued_at=timezone.now(), issued_by=admin)
    document.pdf.save(f"{number.replace('/', '-')}.pdf", ContentFile(data), save=False)
    document.save()
    return document


def test_a_years_documents_as_a_zip_for_home_affairs(visit_a, visit_b, cast, login):
    _issued(visit_a, cast["admin"], "12/TB-SNV", b"%PDF-1.7 notice A")
    _issued(visit_b, cast["admin"], "13/TB-SNV", b"%PDF-1.7 notice B")
    InspectionDocument.objects.create(visit=visit_b, kind="minutes", number="1/BB")  # a draft is never exported
    admin = login(cast["admin"])
    response = admin.post(reverse("inspections:documents_zip", args=[2026]))
    job = Job.objects.get(kind="documents_zip")
    assert response["Location"] == reverse("core:job", args=[job.pk]) and job.status == Job.Status.DONE, job.message
    body = b"".join(admin.get(reverse("core:job_download", args=[job.pk])).streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.namelist() == ["SGDDT_thong-bao-ket-luan_12-TB-SNV.pdf", "STP_thong-bao-ket-luan_13-TB-SNV.pdf"]
        assert archive.read("STP_thong-bao-ket-luan_13-TB-SNV.pdf") == b"%PDF-1.7 notice B"
    assert job.result_name == "van-ban-kiem-tra-2026.zip"

    empty = job_start("documents_zip", {"year": 2025}, cast["admin"])
    assert empty.status == Job.Status.FAILED and "2025" in empty.message

    for name in ("inspector", "staff_a"):
        assert login(cast[name]).post(reverse("inspections:documents_zip", args=[2026])).status_code == 403

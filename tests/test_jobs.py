"""Background jobs (core/jobs.py) in eager mode, as `make run` runs them without Redis: a job
runs, reports progress, stores its file for download or ends with a summary; only its owner or
Home Affairs see it; a failing job shows its error; the exports re-check access like the page
they come from. Large imports as jobs: tests/test_import_jobs.py."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
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


def summary_job(job, progress):
    return gettext("Đã nhập: thêm mới %(c)s, cập nhật %(u)s, không đổi %(n)s đơn vị.") % {"c": 1, "u": 2, "n": 3}


def in_transaction_job(job, progress):
    """Reports from inside its own transaction, as an import does, and looks from another connection."""
    with transaction.atomic():
        progress(50, "giữa chừng")
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute(f"SELECT progress, message FROM {Job._meta.db_table} WHERE id = %s", [job.pk])
                SEEN_PROGRESS.append(tuple(cursor.fetchone()))
        finally:
            other.close()
    return "xong"


def anyone(user, params):
    return None


@pytest.fixture
def test_kinds(monkeypatch):
    kinds = (("count", "counting_job"), ("fail", "failing_job"), ("crash", "crashing_job"), ("summary", "summary_job"), ("side", "in_transaction_job"))
    for name, run in kinds:
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


def test_a_job_can_end_with_a_summary_and_links_instead_of_a_file(test_kinds, cast, login):
    job = job_start("summary", {}, cast["staff_a"], links=[("Danh sách đơn vị", "/don-vi/")])
    assert job.status == Job.Status.DONE and not job.result
    assert job.message == "Đã nhập: thêm mới 1, cập nhật 2, không đổi 3 đơn vị."
    client = login(cast["staff_a"])
    page = client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert '<li class="msg-success" data-job-message>Đã nhập: thêm mới 1' in page
    assert '<a class="btn" href="/don-vi/">Danh sách đơn vị</a>' in page and "data-job-download hidden" in page
    state = client.get(reverse("core:job_status", args=[job.pk])).json()
    assert state["download_url"] == "" and state["error_count"] == 0
    assert client.get(reverse("core:job_download", args=[job.pk])).status_code == 404


def test_a_job_speaks_the_language_of_whoever_started_it(test_kinds, cast, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with translation.override("en"):
        job = job_start("summary", {}, cast["staff_a"])
    jobs.job_run(job.pk)  # as a worker does, whatever its own language
    assert Job.objects.get(pk=job.pk).message == "Imported: 1 units added, 2 updated, 3 unchanged."


@pytest.mark.django_db(transaction=True)
def test_progress_from_inside_the_works_transaction_reaches_the_page(test_kinds):
    """The import's transaction would hide the job row's updates until it commits: they go through a
    connection of their own (PostgreSQL, where a worker runs jobs; SQLite runs them in the request)."""
    if connection.vendor == "sqlite":
        pytest.skip("on SQLite jobs run in the request, with nobody polling")
    job = job_start("side", {}, User.objects.create(username="snv.nhap", is_home_affairs=True))
    assert job.status == Job.Status.DONE and job.message == "xong"
    assert SEEN_PROGRESS == [(50, "giữa chừng")]


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

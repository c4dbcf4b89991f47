"""Large imports confirmed as background jobs (core/jobs.py `import_job_run`), eagerly as `make run`
runs them: a file above IMPORT_JOB_ROWS rows goes to a job whose page shows its progress, then
what was created and changed, or its row errors with nothing saved; smaller files stay in the
request. Only Home Affairs imports, so only the owner or Home Affairs sees the job, and only
while they still may import; the staged file waits in shared storage for the worker."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Unit, User
from core import jobs
from core.jobs import import_job_start, job_run
from core.models import Job
from scoring.models import LeafValue, Stage
from tests.xlsx import xlsx_bytes

UNIT_HEADERS = ["Mã đơn vị", "Tên đơn vị", "Nhóm", "Mã đơn vị cấp trên"]
SURVEY_HEADERS = ["Mã đơn vị", "Mã tiêu chí", "Tỷ lệ"]
NEW_UNITS = [["X_MOI", "UBND xã Mới", "XA", ""], ["X_HAI", "UBND xã Hai", "XA", "X_MOI"], ["STP", "Sở Tư pháp tỉnh", "SO", ""]]


@pytest.fixture
def progress_seen(monkeypatch):
    """Every progress report of the jobs run in the test, as (percent, message)."""
    seen = []
    original = jobs.job_progress

    def spy(job, percent, message=""):
        seen.append((int(percent), str(message)))
        original(job, percent, message)

    monkeypatch.setattr(jobs, "job_progress", spy)
    return seen


def _staged_files(purpose: str) -> list[str]:
    folder = f"staging/{purpose}"
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []


def _preview_units(client, rows):
    response = client.post(reverse("unit_import"), {"file": SimpleUploadedFile("don-vi.xlsx", xlsx_bytes(UNIT_HEADERS, rows))})
    assert response.status_code == 200 and response.context["token"], response.content.decode()[:2000]
    return response


# ---------------------------------------------------------------- units


def test_it_confirms_a_small_units_file_in_the_request(login, cast, units):
    client = login(cast["admin"])
    preview = _preview_units(client, NEW_UNITS)
    html = preview.content.decode()
    assert "Tệp lớn" not in html and html.index("<table") < html.index("Xác nhận nhập")
    response = client.post(reverse("unit_import_confirm"), {"token": preview.context["token"]})
    assert response["Location"] == reverse("unit_list") and not Job.objects.exists()
    assert Unit.objects.filter(code="X_HAI", parent__code="X_MOI").exists()
    assert _staged_files("units") == []


def test_it_imports_a_large_units_file_as_a_job(login, cast, units, settings, progress_seen):
    settings.IMPORT_JOB_ROWS = 2
    client = login(cast["admin"])
    preview = _preview_units(client, NEW_UNITS)
    html = preview.content.decode()
    assert "Tệp lớn: sau khi xác nhận, việc nhập chạy trong nền" in html
    assert html.index("Xác nhận nhập") < html.index("<table")  # the decision above a long list
    assert not Unit.objects.filter(code="X_MOI").exists()

    response = client.post(reverse("unit_import_confirm"), {"token": preview.context["token"]})
    job = Job.objects.get(kind="units_import")
    assert response["Location"] == reverse("core:job", args=[job.pk])
    assert job.status == Job.Status.DONE and job.progress == 100, (job.message, job.errors)
    assert job.message == "Đã nhập: thêm mới 2, cập nhật 1, không đổi 0 đơn vị."
    assert Unit.objects.get(code="STP").name == "Sở Tư pháp tỉnh"
    assert Unit.objects.filter(code="X_HAI", parent__code="X_MOI", group__code="XA").exists()

    # Progress: the file read and checked, then every row the preview's dry run wrote, written.
    writes = job.params["writes"]
    assert job.params["rows"] == 3 and writes >= 3
    messages = [message for _percent, message in progress_seen]
    assert messages[0] == "Đang đọc và kiểm tra tệp don-vi.xlsx (3 dòng)…"
    assert "Đã đọc 3 dòng; đang đối chiếu với dữ liệu trong hệ thống…" in messages
    assert messages[-1] == f"Đang ghi: {writes}/{writes} bản ghi…"
    assert [p for p, _m in progress_seen] == sorted(p for p, _m in progress_seen)
    assert _staged_files("units") == []  # the job deleted what it imported

    page = client.get(response["Location"]).content.decode()
    assert "Đã nhập: thêm mới 2, cập nhật 1, không đổi 0 đơn vị." in page and "msg-success" in page
    assert f'href="{reverse("unit_list")}"' in page and f'href="{reverse("unit_import")}"' in page
    assert "data-job-download hidden" in page  # a summary, nothing to download
    state = client.get(reverse("core:job_status", args=[job.pk])).json()
    assert state["finished"] and state["download_url"] == "" and state["error_count"] == 0

    # The token is spent: a second click does not start a second import.
    again = client.post(reverse("unit_import_confirm"), {"token": preview.context["token"]})
    assert again["Location"] == reverse("unit_import") and Job.objects.count() == 1


def test_a_file_rejected_at_confirmation_shows_its_errors_and_saves_nothing(login, cast, units, groups, settings):
    settings.IMPORT_JOB_ROWS = 1
    Unit.objects.create(code="TAM", name="Đơn vị tạm", group=groups["SO"])
    client = login(cast["admin"])
    preview = _preview_units(client, [["X_MOI", "UBND xã Mới", "XA", "TAM"], ["X_HAI", "UBND xã Hai", "XA", ""]])
    Unit.objects.filter(code="TAM").delete()  # gone between the preview and the confirmation

    response = client.post(reverse("unit_import_confirm"), {"token": preview.context["token"]})
    job = Job.objects.get(kind="units_import")
    assert job.status == Job.Status.FAILED
    assert job.message.startswith("Không nhập được tệp don-vi.xlsx: dữ liệu đã thay đổi từ lúc xem trước. Chưa có gì được lưu")
    assert job.errors == [{"line": 2, "column": "Mã đơn vị cấp trên", "message": "Không có đơn vị cấp trên mã “TAM” trong tệp hoặc trong hệ thống."}]
    assert not Unit.objects.filter(code__in=["X_MOI", "X_HAI"]).exists()
    assert _staged_files("units") == []

    page = client.get(response["Location"]).content.decode()
    assert "Tệp có 1 lỗi; chưa có gì được lưu." in page and "Không có đơn vị cấp trên mã “TAM”" in page
    assert "Mã đơn vị cấp trên" in page and f'href="{reverse("unit_import")}"' in page
    assert client.get(reverse("core:job_status", args=[job.pk])).json()["error_count"] == 1


# ---------------------------------------------------------------- survey


def _preview_survey(client, round_, rows):
    upload = SimpleUploadedFile("dieu-tra.xlsx", xlsx_bytes(SURVEY_HEADERS, rows))
    response = client.post(reverse("scoring:survey_import", args=[round_.pk]), {"file": upload})
    assert response.status_code == 200 and response.context["token"], response.content.decode()[:2000]
    return response


def test_it_imports_a_large_survey_file_as_a_job(assessment_a, assessment_b, round_so, login, cast, settings, progress_seen):
    settings.IMPORT_JOB_ROWS = 1
    client = login(cast["admin"])
    preview = _preview_survey(client, round_so, [["SGDDT", "2.5", 80], ["STP", "2.5", "62,5"]])
    response = client.post(reverse("scoring:survey_confirm", args=[round_so.pk]), {"token": preview.context["token"]})
    job = Job.objects.get(kind="survey_import")
    assert response["Location"] == reverse("core:job", args=[job.pk])
    assert job.status == Job.Status.DONE, (job.message, job.errors)
    assert job.message == "Đã nhập kết quả điều tra từ tệp dieu-tra.xlsx: 2 giá trị thay đổi, 0 dòng giữ nguyên."
    rates = dict(LeafValue.objects.filter(stage=Stage.SURVEY, criterion__code="2.5").values_list("assessment__unit__code", "rate"))
    assert rates == {"SGDDT": Decimal("80.00"), "STP": Decimal("62.50")}
    writes = job.params["writes"]
    assert progress_seen[-1][1] == f"Đang ghi: {writes}/{writes} bản ghi…"
    page = client.get(response["Location"]).content.decode()
    assert f'href="{reverse("scoring:survey_import", args=[round_so.pk])}"' in page
    assert f'href="{reverse("scoring:round", args=[round_so.pk])}"' in page
    assert _staged_files("survey") == []


def test_a_survey_file_with_errors_lists_them_by_line_and_column(assessment_a, assessment_b, round_so, cast):
    """A staged file the job finds wrong (here one never previewed): every error, nothing saved."""
    rows = [["SGDDT", "2.5", 80], ["STP", "2.5", 120], ["KHONGCO", "2.5", 50]]
    path = default_storage.save("staging/survey/loi.xlsx", ContentFile(xlsx_bytes(SURVEY_HEADERS, rows)))
    entry = {"path": path, "name": "loi.xlsx", "meta": {"round": round_so.pk, "rows": 3, "writes": 6}}
    job = import_job_start("survey_import", entry, cast["admin"], params={"round": round_so.pk})
    assert job.status == Job.Status.FAILED
    assert [(e["line"], e["column"]) for e in job.errors] == [(3, "Tỷ lệ"), (4, "Mã đơn vị")]
    assert "Tỷ lệ phải từ 0 đến 100" in job.errors[0]["message"] and "KHONGCO" in job.errors[1]["message"]
    assert not LeafValue.objects.filter(stage=Stage.SURVEY).exists()
    assert not default_storage.exists(path)


# ---------------------------------------------------------------- access and the worker


@pytest.mark.parametrize("who", ["staff_a", "head_a", "staff_b", "appraiser", "viewer", "inspector"])
def test_other_users_cannot_see_an_import_job(login, cast, units, settings, who):
    settings.IMPORT_JOB_ROWS = 1
    admin = login(cast["admin"])
    admin.post(reverse("unit_import_confirm"), {"token": _preview_units(admin, NEW_UNITS).context["token"]})
    job = Job.objects.get(kind="units_import")
    other = login(cast[who])
    for url in ("core:job", "core:job_status", "core:job_download"):
        assert other.get(reverse(url, args=[job.pk])).status_code == 404, url


def test_an_import_job_is_gone_for_its_owner_once_they_lose_the_role(assessment_a, round_so, login, cast, settings):
    settings.IMPORT_JOB_ROWS = 0
    colleague = User.objects.create(username="snv.dieutra", unit=cast["admin"].unit, is_home_affairs=True)
    client = login(colleague)
    client.post(reverse("scoring:survey_confirm", args=[round_so.pk]), {"token": _preview_survey(client, round_so, [["SGDDT", "2.5", 80]]).context["token"]})
    job = Job.objects.get(kind="survey_import")
    assert job.status == Job.Status.DONE
    assert client.get(reverse("core:job", args=[job.pk])).status_code == 200
    assert login(cast["admin"]).get(reverse("core:job", args=[job.pk])).status_code == 200  # Home Affairs sees every job
    colleague.is_home_affairs = False
    colleague.save(update_fields=["is_home_affairs"])
    assert login(colleague).get(reverse("core:job", args=[job.pk])).status_code == 404


def test_the_staged_file_waits_in_storage_for_the_worker_which_rechecks_access(login, cast, units, settings):
    settings.IMPORT_JOB_ROWS = 1
    settings.CELERY_TASK_ALWAYS_EAGER = False  # queued for a worker (the test transaction never commits, so nothing is sent)
    client = login(cast["admin"])
    for _attempt in range(2):
        client.post(reverse("unit_import_confirm"), {"token": _preview_units(client, NEW_UNITS).context["token"]})
    first, second = Job.objects.filter(kind="units_import").order_by("pk")
    assert first.status == second.status == Job.Status.QUEUED
    assert default_storage.exists(first.params["path"]) and default_storage.exists(second.params["path"])

    job_run(first.pk)  # what the worker does, reading the file from storage
    first.refresh_from_db()
    assert first.status == Job.Status.DONE and Unit.objects.filter(code="X_MOI").exists()
    assert not default_storage.exists(first.params["path"])

    admin = cast["admin"]
    admin.is_home_affairs = False  # loses the role while the second job waits
    admin.save(update_fields=["is_home_affairs"])
    Unit.objects.filter(code="X_HAI").delete()
    Unit.objects.filter(code="X_MOI").delete()
    job_run(second.pk)
    second.refresh_from_db()
    assert second.status == Job.Status.FAILED and second.message == "Người tạo công việc không còn quyền thực hiện nó."
    assert not Unit.objects.filter(code="X_MOI").exists()
    assert not default_storage.exists(second.params["path"])

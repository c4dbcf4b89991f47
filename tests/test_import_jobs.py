"""Large imports as background jobs (core/jobs.py), eagerly as `make run` runs them: uploading a
file above IMPORT_JOB_ROWS rows starts a check whose job page shows its progress, then the preview
(counts, the first rows that change, the confirm button) or its row errors; confirming starts the
import, whose job page shows what was created and changed, or its row errors with nothing saved.
Smaller files are checked and imported in the request. Only Home Affairs imports, so only the
owner or Home Affairs sees the jobs, and only while they still may import; the staged file waits in
shared storage for the worker."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Unit, User
from core import jobs, staging
from core.jobs import PREVIEW_ROWS, import_job_start, job_run
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


def _upload_units(client, rows):
    return client.post(reverse("unit_import"), {"file": SimpleUploadedFile("don-vi.xlsx", xlsx_bytes(UNIT_HEADERS, rows))})


def _preview_units(client, rows):
    response = _upload_units(client, rows)
    assert response.status_code == 200 and response.context["token"], response.content.decode()[:2000]
    return response


def _check_units(client, rows) -> Job:
    """Upload a large units file: the request only starts the check and sends to its job page."""
    response = _upload_units(client, rows)
    job = Job.objects.filter(kind="units_check").latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("core:job", args=[job.pk])
    return job


def _confirm_token(html: str) -> str:
    found = re.search(r'name="token" value="([^"]*)"', html)
    return found.group(1) if found else ""


# ---------------------------------------------------------------- units


def test_it_checks_and_confirms_a_small_units_file_in_the_request(login, cast, units):
    client = login(cast["admin"])
    preview = _preview_units(client, NEW_UNITS)
    html = preview.content.decode()
    assert "Tệp lớn" not in html and html.index("<table") < html.index("Xác nhận nhập")
    assert "Sẽ thêm mới 2, cập nhật 1, giữ nguyên 0 đơn vị." in html and "không đổi" not in html
    response = client.post(reverse("unit_import_confirm"), {"token": preview.context["token"]})
    assert response["Location"] == reverse("unit_list") and not Job.objects.exists()
    assert Unit.objects.filter(code="X_HAI", parent__code="X_MOI").exists()
    assert _staged_files("units") == []


def test_it_checks_then_imports_a_large_units_file_as_jobs(login, cast, units, settings, progress_seen):
    settings.IMPORT_JOB_ROWS = 2
    client = login(cast["admin"])
    check = _check_units(client, NEW_UNITS)
    assert check.status == Job.Status.DONE, (check.message, check.errors)
    assert check.message == "Đã kiểm tra tệp don-vi.xlsx (3 dòng): không có lỗi."
    assert check.report["rows"] == 3 and (check.report["created"], check.report["updated"], check.report["unchanged"]) == (2, 1, 0)
    assert not Unit.objects.filter(code="X_MOI").exists() and len(_staged_files("units")) == 1
    messages = [message for _percent, message in progress_seen]
    assert messages[0] == "Đang đọc và kiểm tra tệp don-vi.xlsx…"
    assert "Đã đọc tệp; đang đối chiếu với dữ liệu trong hệ thống…" in messages
    assert messages[-1].startswith("Đang tính các thay đổi:")

    # The check's page: the preview, the decision above the list, the way back.
    html = client.get(reverse("core:job", args=[check.pk])).content.decode()
    assert "Kiểm tra tệp đơn vị trước khi nhập" in html and "Sẽ thêm mới 2, cập nhật 1, giữ nguyên 0 đơn vị." in html
    assert "Tệp lớn: sau khi xác nhận, việc nhập chạy trong nền" in html
    assert html.index("Xác nhận nhập") < html.index("<table") and "UBND xã Hai" in html
    assert f'href="{reverse("unit_list")}"' in html and f'href="{reverse("unit_import")}"' in html
    token = _confirm_token(html)
    assert token

    progress_seen.clear()
    response = client.post(reverse("unit_import_confirm"), {"token": token})
    job = Job.objects.get(kind="units_import")
    assert response["Location"] == reverse("core:job", args=[job.pk])
    assert job.status == Job.Status.DONE and job.progress == 100, (job.message, job.errors)
    assert job.message == "Đã nhập: thêm mới 2, cập nhật 1, không đổi 0 đơn vị."
    assert Unit.objects.get(code="STP").name == "Sở Tư pháp tỉnh"
    assert Unit.objects.filter(code="X_HAI", parent__code="X_MOI", group__code="XA").exists()

    # Progress: the file read and checked, then every row the check's dry run wrote, written.
    writes = job.params["writes"]
    assert job.params["rows"] == 3 and writes == check.report["writes"] >= 3
    messages = [message for _percent, message in progress_seen]
    assert messages[0] == "Đang đọc và kiểm tra tệp don-vi.xlsx (3 dòng)…"
    assert "Đã đọc 3 dòng; đang đối chiếu với dữ liệu trong hệ thống…" in messages
    assert messages[-1] == f"Đang ghi: {writes}/{writes} bản ghi…"
    assert [p for p, _m in progress_seen] == sorted(p for p, _m in progress_seen)
    assert _staged_files("units") == []  # the job deleted what it imported

    page = client.get(response["Location"]).content.decode()
    assert "Đã nhập: thêm mới 2, cập nhật 1, không đổi 0 đơn vị." in page and "msg-success" in page
    assert "data-job-download hidden" in page  # a summary, nothing to download
    state = client.get(reverse("core:job_status", args=[job.pk])).json()
    assert state["finished"] and state["download_url"] == "" and state["error_count"] == 0

    # The token is spent: the check's page no longer offers to confirm, a second click starts nothing.
    html = client.get(reverse("core:job", args=[check.pk])).content.decode()
    assert not _confirm_token(html) and "Tệp này đã được xác nhận nhập, hoặc phiên nhập đã hết hạn" in html
    again = client.post(reverse("unit_import_confirm"), {"token": token})
    assert again["Location"] == reverse("unit_import") and Job.objects.filter(kind="units_import").count() == 1


def test_the_check_of_a_large_file_lists_the_first_rows_that_change(login, cast, units, settings):
    settings.IMPORT_JOB_ROWS = 10
    rows = [["SNV", "Sở Nội vụ", "SO", ""]]  # unchanged: not listed
    rows += [[f"XA{i:04d}", f"UBND xã số {i}", "XA", ""] for i in range(PREVIEW_ROWS + 50)]
    client = login(cast["admin"])
    check = _check_units(client, rows)
    assert check.report["created"] == PREVIEW_ROWS + 50 and check.report["unchanged"] == 1
    assert len(check.report["lines"]) == PREVIEW_ROWS and check.report["lines"][0]["code"] == "XA0000"
    html = client.get(reverse("core:job", args=[check.pk])).content.decode()
    assert f"Danh sách dưới đây gồm {PREVIEW_ROWS} dòng thay đổi đầu tiên (trong {PREVIEW_ROWS + 50} dòng thay đổi)" in html
    assert f"XA{PREVIEW_ROWS - 1:04d}" in html and f"XA{PREVIEW_ROWS:04d}" not in html
    assert html.count("<tr>") == PREVIEW_ROWS + 1


def test_a_large_file_with_errors_lists_them_at_the_check_and_is_not_kept(login, cast, units, settings):
    settings.IMPORT_JOB_ROWS = 10
    rows = [[f"XA{i:04d}", "", "XA", ""] for i in range(PREVIEW_ROWS + 20)]  # every name missing
    client = login(cast["admin"])
    check = _check_units(client, rows)
    assert check.status == Job.Status.FAILED and check.message.startswith("Không nhập được tệp don-vi.xlsx: sửa các lỗi")
    assert len(check.errors) == PREVIEW_ROWS + 20 and check.errors[0] == {"line": 2, "column": "Tên đơn vị", "message": "Thiếu tên đơn vị."}
    assert _staged_files("units") == [] and not check.report
    html = client.get(reverse("core:job", args=[check.pk])).content.decode()
    assert f"Tệp có {PREVIEW_ROWS + 20} lỗi; chưa có gì được lưu." in html and f"Dưới đây là {PREVIEW_ROWS} lỗi đầu tiên." in html
    assert html.count("Thiếu tên đơn vị.") == PREVIEW_ROWS and "Xác nhận nhập" not in html
    response = client.post(reverse("unit_import_confirm"), {"token": check.params["token"]})
    assert response["Location"] == reverse("unit_import") and not Job.objects.filter(kind="units_import").exists()


def test_a_file_rejected_at_confirmation_shows_its_errors_and_saves_nothing(login, cast, units, groups, settings):
    settings.IMPORT_JOB_ROWS = 1
    Unit.objects.create(code="TAM", name="Đơn vị tạm", group=groups["SO"])
    client = login(cast["admin"])
    check = _check_units(client, [["X_MOI", "UBND xã Mới", "XA", "TAM"], ["X_HAI", "UBND xã Hai", "XA", ""]])
    Unit.objects.filter(code="TAM").delete()  # gone between the check and the confirmation

    response = client.post(reverse("unit_import_confirm"), {"token": check.params["token"]})
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


def test_a_file_is_confirmed_only_once_its_check_has_finished(login, cast, units, settings):
    settings.IMPORT_JOB_ROWS = 1
    settings.CELERY_TASK_ALWAYS_EAGER = False  # queued for a worker (the test transaction never commits, so nothing is sent)
    client = login(cast["admin"])
    check = _check_units(client, NEW_UNITS)
    assert check.status == Job.Status.QUEUED
    html = client.get(reverse("core:job", args=[check.pk])).content.decode()
    assert "Xác nhận nhập" not in html and "Sẽ thêm mới" not in html

    early = client.post(reverse("unit_import_confirm"), {"token": check.params["token"]}, follow=True)
    assert "Tệp chưa được kiểm tra xong, hoặc không có gì để nhập." in early.content.decode()
    assert not Job.objects.filter(kind="units_import").exists()

    job_run(check.pk)  # what the worker does; the token was kept for the confirmation
    client.post(reverse("unit_import_confirm"), {"token": check.params["token"]})
    job = Job.objects.get(kind="units_import")
    assert job.status == Job.Status.QUEUED and job.params["rows"] == 3 and job.params["writes"] >= 3
    job_run(job.pk)
    assert Unit.objects.filter(code="X_HAI", parent__code="X_MOI").exists()


# ---------------------------------------------------------------- survey


def _upload_survey(client, round_, rows):
    upload = SimpleUploadedFile("dieu-tra.xlsx", xlsx_bytes(SURVEY_HEADERS, rows))
    return client.post(reverse("scoring:survey_import", args=[round_.pk]), {"file": upload})


def test_it_checks_then_imports_a_large_survey_file_as_jobs(assessment_a, assessment_b, round_so, login, cast, settings, progress_seen):
    settings.IMPORT_JOB_ROWS = 1
    client = login(cast["admin"])
    response = _upload_survey(client, round_so, [["SGDDT", "2.5", 80], ["STP", "2.5", "62,5"]])
    check = Job.objects.get(kind="survey_check")
    assert response["Location"] == reverse("core:job", args=[check.pk])
    assert check.status == Job.Status.DONE, (check.message, check.errors)
    assert check.report["changed_total"] == 2 and check.report["confirm"] and not LeafValue.objects.filter(stage=Stage.SURVEY).exists()
    html = client.get(response["Location"]).content.decode()
    assert "Sẽ thay đổi 2 giá trị, giữ nguyên 0 dòng. Chưa có gì được lưu." in html and "62,5" in html
    assert f'href="{reverse("scoring:round", args=[round_so.pk])}"' in html

    progress_seen.clear()
    response = client.post(reverse("scoring:survey_confirm", args=[round_so.pk]), {"token": _confirm_token(html)})
    job = Job.objects.get(kind="survey_import")
    assert response["Location"] == reverse("core:job", args=[job.pk])
    assert job.status == Job.Status.DONE, (job.message, job.errors)
    assert job.message == "Đã nhập kết quả điều tra từ tệp dieu-tra.xlsx: 2 giá trị thay đổi, 0 dòng giữ nguyên."
    rates = dict(LeafValue.objects.filter(stage=Stage.SURVEY, criterion__code="2.5").values_list("assessment__unit__code", "rate"))
    assert rates == {"SGDDT": Decimal("80.00"), "STP": Decimal("62.50")}
    writes = job.params["writes"]
    assert writes == check.report["writes"] and progress_seen[-1][1] == f"Đang ghi: {writes}/{writes} bản ghi…"
    page = client.get(response["Location"]).content.decode()
    assert f'href="{reverse("scoring:survey_import", args=[round_so.pk])}"' in page
    assert f'href="{reverse("scoring:round", args=[round_so.pk])}"' in page
    assert _staged_files("survey") == []


def test_a_large_survey_file_that_changes_nothing_has_nothing_to_confirm(assessment_a, assessment_b, round_so, login, cast, settings):
    settings.IMPORT_JOB_ROWS = 1
    client = login(cast["admin"])
    rows = [["SGDDT", "2.5", 80], ["STP", "2.5", 60]]
    check_page = client.get(_upload_survey(client, round_so, rows)["Location"]).content.decode()
    client.post(reverse("scoring:survey_confirm", args=[round_so.pk]), {"token": _confirm_token(check_page)})
    assert LeafValue.objects.filter(stage=Stage.SURVEY).count() == 2
    response = _upload_survey(client, round_so, rows)  # the same file again
    check = Job.objects.filter(kind="survey_check").latest("pk")
    assert check.status == Job.Status.DONE and not check.report["confirm"]
    html = client.get(response["Location"]).content.decode()
    assert "Tệp không làm thay đổi giá trị nào (2 dòng giữ nguyên)." in html and "Xác nhận nhập" not in html
    assert _staged_files("survey") == []


def test_a_survey_file_with_errors_lists_them_by_line_and_column(assessment_a, assessment_b, round_so, cast):
    """A staged file the import job finds wrong (here one never checked): every error, nothing saved."""
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


@pytest.mark.parametrize("who", ["staff_a", "head_a", "staff_b", "staff_x", "appraiser", "viewer", "inspector"])
def test_other_users_cannot_see_a_check_or_an_import_job(login, cast, units, settings, who):
    settings.IMPORT_JOB_ROWS = 1
    admin = login(cast["admin"])
    check = _check_units(admin, NEW_UNITS)
    admin.post(reverse("unit_import_confirm"), {"token": check.params["token"]})
    job = Job.objects.get(kind="units_import")
    other = login(cast[who])
    for pk in (check.pk, job.pk):
        for url in ("core:job", "core:job_status", "core:job_download"):
            assert other.get(reverse(url, args=[pk])).status_code == 404, (url, pk)


def test_a_colleague_sees_a_check_but_cannot_confirm_it(login, cast, units, settings):
    settings.IMPORT_JOB_ROWS = 1
    check = _check_units(login(cast["admin"]), NEW_UNITS)
    colleague = login(User.objects.create(username="snv.khac", unit=cast["admin"].unit, is_home_affairs=True))
    html = colleague.get(reverse("core:job", args=[check.pk])).content.decode()
    assert "Sẽ thêm mới 2, cập nhật 1, giữ nguyên 0 đơn vị." in html and not _confirm_token(html)
    assert "Chỉ người đã tải tệp lên mới xác nhận nhập được." in html
    response = colleague.post(reverse("unit_import_confirm"), {"token": check.params["token"]})  # not in their session
    assert response["Location"] == reverse("unit_import") and not Job.objects.filter(kind="units_import").exists()


def test_an_import_job_is_gone_for_its_owner_once_they_lose_the_role(assessment_a, round_so, login, cast, settings):
    settings.IMPORT_JOB_ROWS = 0
    colleague = User.objects.create(username="snv.dieutra", unit=cast["admin"].unit, is_home_affairs=True)
    client = login(colleague)
    check_page = _upload_survey(client, round_so, [["SGDDT", "2.5", 80]])["Location"]
    token = _confirm_token(client.get(check_page).content.decode())
    client.post(reverse("scoring:survey_confirm", args=[round_so.pk]), {"token": token})
    job = Job.objects.get(kind="survey_import")
    assert job.status == Job.Status.DONE
    assert client.get(reverse("core:job", args=[job.pk])).status_code == 200
    assert login(cast["admin"]).get(reverse("core:job", args=[job.pk])).status_code == 200  # Home Affairs sees every job
    colleague.is_home_affairs = False
    colleague.save(update_fields=["is_home_affairs"])
    assert login(colleague).get(reverse("core:job", args=[job.pk])).status_code == 404
    assert client.get(check_page).status_code == 404


def test_the_staged_file_waits_in_storage_for_the_worker_which_rechecks_access(login, cast, units, settings):
    settings.IMPORT_JOB_ROWS = 1
    settings.CELERY_TASK_ALWAYS_EAGER = False  # queued for a worker (the test transaction never commits, so nothing is sent)
    client = login(cast["admin"])
    for _attempt in range(2):
        check = _check_units(client, NEW_UNITS)
        job_run(check.pk)
        client.post(reverse("unit_import_confirm"), {"token": check.params["token"]})
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


def test_a_check_refused_to_a_user_who_lost_the_role_discards_the_file(login, cast, units, settings):
    settings.IMPORT_JOB_ROWS = 1
    settings.CELERY_TASK_ALWAYS_EAGER = False
    check = _check_units(login(cast["admin"]), NEW_UNITS)
    User.objects.filter(pk=cast["admin"].pk).update(is_home_affairs=False)
    job_run(check.pk)
    check.refresh_from_db()
    assert check.status == Job.Status.FAILED and not check.report and _staged_files("units") == []


# ---------------------------------------------------------------- counting rows before reading them


def _with_prefixed_rows(data: bytes) -> bytes:
    """The same workbook with its sheet written as some generators do: <x:row> in a prefixed namespace."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<row", b"<x:row").replace(b"</row>", b"</x:row>").replace(b"<rowBreaks", b"<x:rowBreaks")
            target.writestr(item, content)
    return out.getvalue()


def test_rows_are_estimated_from_the_sheet_without_reading_cells():
    data = xlsx_bytes(UNIT_HEADERS, NEW_UNITS)
    assert staging.estimated_rows(io.BytesIO(data)) == 3
    assert staging.estimated_rows(io.BytesIO(_with_prefixed_rows(data))) == 3
    assert staging.estimated_rows(io.BytesIO(xlsx_bytes(UNIT_HEADERS, []))) == 0
    assert staging.estimated_rows(io.BytesIO(b"PK\x03\x04 not really a zip")) == 0
    upload = SimpleUploadedFile("x.xlsx", data)
    upload.read(10)
    assert staging.estimated_rows(upload) == 3 and upload.tell() == 0  # left ready to be staged


@pytest.mark.django_db
def test_rows_written_counts_bulk_inserts_on_either_database():
    """COPY (PostgreSQL) bypasses Django's execute wrappers; the job's progress counts it all the same."""
    from accounts.models import UnitGroup
    from core import bulk
    from core.jobs import rows_written

    seen = []
    with rows_written(seen.append) as written:
        bulk.insert_rows(UnitGroup, ["code", "name", "position"], [(f"G{i}", f"Nhóm {i}", i) for i in range(7)])
    assert written() == 7 and seen[-1] == 7
    assert bulk.copied_rows.get() is None  # nothing left listening after the block


@pytest.mark.django_db
def test_bulk_insert_takes_rows_as_they_are_made(django_assert_num_queries):
    """A generator (a publication's rows, made while COPY sends them) is written whole and counted;
    an empty one sends nothing."""
    from accounts.models import UnitGroup
    from core import bulk
    from core.jobs import rows_written

    with rows_written() as written:
        bulk.insert_rows(UnitGroup, ["code", "name", "position"], ((f"G{i}", f"Nhóm {i}", i) for i in range(5)))
        with django_assert_num_queries(0):
            bulk.insert_rows(UnitGroup, ["code", "name", "position"], iter(()))
    assert list(UnitGroup.objects.filter(code__startswith="G").order_by("position").values_list("name", flat=True)) == [
        f"Nhóm {i}" for i in range(5)
    ]
    assert written() == 5

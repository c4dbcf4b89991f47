"""Management commands: the same imports as the pages, all-or-nothing, and an idempotent demo."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Unit, User
from criteria.excel import parse_criteria
from criteria.models import CriteriaSet
from tests.xlsx import HANDWRITTEN, VI_HEADERS, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "bo-tieu-chi.xlsx"
    path.write_bytes(xlsx_bytes(VI_HEADERS, HANDWRITTEN))
    return path


def test_import_criteria_dry_run_then_publish(groups, workbook, capsys):
    call_command("import_criteria", str(workbook), code="SO-2026", name="Sở 2026", year=2026, group="SO", dry_run=True)
    assert "[thử]" in capsys.readouterr().out and not CriteriaSet.objects.exists()
    call_command(
        "import_criteria", str(workbook), code="SO-2026", name="Sở 2026", year=2026, group="so", publish=True,
        decision_number="125/QĐ-UBND", decision_date="15/01/2026", decision_issuer="UBND tỉnh",
    )
    cs = CriteriaSet.objects.get(code="SO-2026")
    assert cs.is_published and cs.decision_date.day == 15 and cs.criteria.count() == len(HANDWRITTEN)


def test_import_criteria_errors_list_rows_and_save_nothing(groups, tmp_path, capsys):
    rows = [list(r) for r in HANDWRITTEN]
    rows[2][4] = "bốc thăm"
    path = tmp_path / "loi.xlsx"
    path.write_bytes(xlsx_bytes(VI_HEADERS, rows))
    with pytest.raises(CommandError, match="không có gì được lưu"):
        call_command("import_criteria", str(path), code="SO-2026", name="x", year=2026, group="SO")
    assert "Dòng 4, cột “Cách chấm”" in capsys.readouterr().err
    assert not CriteriaSet.objects.exists()


def test_import_criteria_unknown_group(groups, workbook):
    with pytest.raises(CommandError, match="MN"):
        call_command("import_criteria", str(workbook), code="X", name="x", year=2026, group="MN")


def test_export_criteria_round_trips(so_set, tmp_path):
    out = tmp_path / "out.xlsx"
    call_command("export_criteria", "SO-2026", output=str(out))
    parsed = parse_criteria(out.read_bytes())
    assert parsed.ok and [r.code for r in parsed.rows] == [r[0] for r in HANDWRITTEN]


def test_import_and_export_units(groups, tmp_path, capsys):
    path = tmp_path / "dv.xlsx"
    path.write_bytes(xlsx_bytes(["Mã đơn vị", "Tên đơn vị", "Nhóm", "Mã đơn vị cấp trên"], [["SNV", "Sở Nội vụ", "SO", ""]]))
    call_command("import_units", str(path))
    assert Unit.objects.filter(code="SNV").exists()
    out = tmp_path / "ra.xlsx"
    call_command("export_units", output=str(out))
    assert out.exists()


def test_load_demo_is_idempotent(db):
    call_command("load_demo")
    counts = (Unit.objects.count(), User.objects.count(), CriteriaSet.objects.count())
    call_command("load_demo")
    assert (Unit.objects.count(), User.objects.count(), CriteriaSet.objects.count()) == counts
    assert CriteriaSet.objects.published().count() == 3
    methods = set(CriteriaSet.objects.get(code__startswith="SO-").criteria.exclude(method="").values_list("method", flat=True))
    assert methods == {"manual", "choice", "bands", "proportional", "per_item", "deduction", "survey"}
    for field in ("is_home_affairs", "is_appraiser", "is_inspector", "is_unit_staff", "is_unit_head", "is_viewer"):
        assert User.objects.filter(**{field: True}).exists(), field

"""recompute_scores rebuilds every stored figure of a year from the raw inputs."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring import calculation, engine
from scoring.models import Assessment, LeafValue, Stage
from scoring.services import LeafEntry, values_save


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("recompute_scores", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def scored(assessment_a, assessment_b, so_set):
    criteria = {c.code: c for c in so_set.criteria.all()}
    values_save(
        assessment=assessment_a,
        stage=Stage.SELF,
        entries=[
            LeafEntry(criteria["1.1.2"], engine.LeafInput(numerator=Decimal("11995"), denominator=Decimal("11999"))),  # 1,75
            LeafEntry(criteria["2.1"], engine.LeafInput(numerator=Decimal("2299"), denominator=Decimal("2412"))),  # 1,91
        ],
    )
    values_save(assessment=assessment_a, stage=Stage.SURVEY, entries=[LeafEntry(criteria["2.5"], engine.LeafInput(rate=Decimal("80")))])
    values_save(assessment=assessment_b, stage=Stage.SELF, entries=[LeafEntry(criteria["2.2"], engine.LeafInput(count=2))])
    # Opening a round caches self_max only; values_save refreshed A and B, refresh the third unit too.
    calculation.refresh_totals(Assessment.objects.get(round=assessment_a.round, unit__code="SNV"))
    return assessment_a, assessment_b


def test_a_lost_final_maximum_is_rebuilt(round_so):
    assert set(Assessment.objects.values_list("final_max", flat=True)) == {Decimal("14.00")}  # set on opening
    Assessment.objects.update(final_max=0)
    out, _err = run("--year", "2026")
    assert out.splitlines() == [
        "SGDDT: final_max 0.00 → 14.00",
        "SNV: final_max 0.00 → 14.00",
        "STP: final_max 0.00 → 14.00",
        "Đã sửa 3 giá trị.",
    ]


def test_nothing_to_fix(scored):
    out, err = run("--year", "2026")
    assert out.strip() == "Không có thay đổi."
    assert err == ""


def test_fixes_a_corrupted_total_and_a_corrupted_score(scored):
    a, b = scored
    Assessment.objects.filter(pk=a.pk).update(self_total=Decimal("99"), final_index=Decimal("1"))
    LeafValue.objects.filter(assessment=a, criterion__code="1.1.2", stage=Stage.SELF).update(score=Decimal("2.50"))
    LeafValue.objects.filter(assessment=b, criterion__code="2.2", stage=Stage.SELF).update(score=None)

    out, _err = run("--year", "2026")
    assert "SGDDT: self_total 99.00 → 3.66" in out  # 1,75 + 1,91
    assert "SGDDT: final_index 1.00 → 37.57" in out  # (3,66 + 1,6) / 14
    assert "SGDDT: 1.1.2 (Tự chấm) score 2.50 → 1.75" in out
    assert "STP: 2.2 (Tự chấm) score – → 1.00" in out
    assert "Đã sửa 4 giá trị." in out

    a.refresh_from_db()
    assert (a.self_total, a.final_total, a.final_index) == (Decimal("3.66"), Decimal("5.26"), Decimal("37.57"))
    assert LeafValue.objects.get(assessment=a, criterion__code="1.1.2", stage=Stage.SELF).score == Decimal("1.75")
    assert LeafValue.objects.get(assessment=b, criterion__code="2.2", stage=Stage.SELF).score == Decimal("1.00")
    assert run("--year", "2026")[0].strip() == "Không có thay đổi."


def test_dry_run_reports_without_fixing(scored):
    a, _b = scored
    Assessment.objects.filter(pk=a.pk).update(leaves_done=0)
    out, _err = run("--year", "2026", "--dry-run")
    assert "SGDDT: leaves_done 0 → 2" in out and "Chạy thử" in out
    a.refresh_from_db()
    assert a.leaves_done == 0


def test_a_value_the_engine_rejects_is_reported_and_its_totals_left_alone(scored):
    a, _b = scored
    LeafValue.objects.filter(assessment=a, criterion__code="2.1", stage=Stage.SELF).update(numerator=Decimal("9999"))
    Assessment.objects.filter(pk=a.pk).update(self_total=Decimal("1"))
    out, err = run("--year", "2026")
    assert "SGDDT: 2.1 (Tự chấm): Tử số không được lớn hơn mẫu số." in err
    assert "SGDDT" not in out
    a.refresh_from_db()
    assert a.self_total == Decimal("1.00")


def test_queries_do_not_grow_with_the_number_of_values(scored, so_set):
    a, b = scored
    with CaptureQueriesContext(connection) as few:
        run("--year", "2026")
    criteria = {c.code: c for c in so_set.criteria.all()}
    more = [LeafEntry(criteria[code], engine.LeafInput(count=1)) for code in ("2.3", "B.2", "P.1")]
    values_save(assessment=a, stage=Stage.SELF, entries=more)
    values_save(assessment=b, stage=Stage.SELF, entries=more)
    with CaptureQueriesContext(connection) as many:
        run("--year", "2026")
    assert len(many) == len(few)


def test_a_year_without_rounds(db):
    with pytest.raises(CommandError, match="Không có kỳ đánh giá nào năm 2030"):
        run("--year", "2030")

"""`generate_dataset`: a small province, every method, valid values and cached totals that
`recompute_scores` agrees with; the same seed gives the same data."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction

from accounts.models import Unit
from criteria.models import CriteriaSet, Criterion
from inspections.models import Finding, InspectionPlan, RemedialAction
from scoring import engine
from scoring.models import Assessment, EvidenceFile, LeafEvidence, LeafValue, Round

pytestmark = pytest.mark.django_db
ARGS = ["--units", "12", "--leaves", "15", "--years", "2"]


def _generate(seed: int = 1) -> str:
    out = io.StringIO()
    call_command("generate_dataset", *ARGS, "--seed", str(seed), stdout=out)
    return out.getvalue()


def _totals() -> list[tuple]:
    return sorted(
        Assessment.objects.values_list(
            "round__year", "round__group__code", "unit__code", "state", "self_total", "self_index", "final_total", "final_index"
        )
    )


def _in_fresh_db(seed: int) -> list[tuple]:
    with transaction.atomic():
        _generate(seed)
        totals = _totals()
        transaction.set_rollback(True)
    return totals


def test_counts_methods_and_valid_values():
    output = _generate()
    assert "Xong trong" in output
    assert Unit.objects.count() == 12
    assert Unit.objects.filter(group__code="THPT", parent__code="SGDDT").count() == Unit.objects.filter(group__code="THPT").count() > 0
    assert CriteriaSet.objects.published().count() == Round.objects.count() == 6  # 3 groups × 2 years
    assert Assessment.objects.count() == 24
    for criteria_set in CriteriaSet.objects.all():
        leaves = criteria_set.criteria.exclude(method="")
        assert leaves.count() == 15
        assert set(leaves.values_list("method", flat=True)) == {m.value for m in engine.Method}
        assert {"score", "bonus", "penalty"} <= set(criteria_set.criteria.filter(parent=None).values_list("kind", flat=True))
        assert engine.check_tree(criteria_set.engine_nodes()) == []
    survey = Criterion.objects.filter(method=engine.Method.SURVEY).count() // 6
    per_unit = 15 - survey
    assert LeafValue.objects.filter(stage="self").count() == 24 * per_unit
    assert LeafValue.objects.filter(stage="appraisal").count() == 24 * per_unit
    assert LeafValue.objects.filter(stage="survey").count() == 24 * survey
    # Every stored score is the engine's points for the stored input.
    for value in LeafValue.objects.select_related("criterion"):
        assert value.score == engine.leaf_points(value.criterion.as_engine_node(), value.as_input()).points
    evidence = EvidenceFile.objects.first()
    assert evidence is not None and LeafEvidence.objects.filter(file=evidence).count() == 2
    with default_storage.open(evidence.file.name, "rb") as handle:
        assert handle.read().startswith(b"%PDF-")
    assert InspectionPlan.objects.count() == 2
    assert RemedialAction.objects.count() == 2 * Finding.objects.filter(kind="shortcoming").count() > 0


def test_cached_totals_agree_with_recompute_and_ranking_works(capsys):
    _generate()
    for year in (2025, 2026):
        out = io.StringIO()
        call_command("recompute_scores", "--year", str(year), "--dry-run", stdout=out)
        assert out.getvalue().strip() == "Không có thay đổi."
    capsys.readouterr()
    call_command("ranking", "--year", "2026", "--group", "THPT", "--format", "csv")  # writes to sys.stdout
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "rank,unit_code,unit_name,points,max_points,index,band"
    assert len(lines) == 1 + Unit.objects.filter(group__code="THPT").count()
    # The ranking's figures are the cached totals.
    first = lines[1].split(",")
    cached = Assessment.objects.get(round__year=2026, unit__code=first[1])
    assert first[3] == f"{cached.final_total:.2f}"


def test_same_seed_same_data_other_seed_other_data():
    one = _in_fresh_db(1)
    assert one and one == _in_fresh_db(1)
    assert one != _in_fresh_db(2)


def test_refuses_a_database_that_has_units():
    _generate()
    with pytest.raises(Exception, match="units"):
        _generate()


def _page_queries(client) -> dict[str, int]:
    """Queries of the self-assessment page, the published ranking page and the register."""
    from django.db import connection
    from django.urls import reverse

    from accounts.models import User
    from scoring.ranking import round_publish

    staff = User.objects.get(username="bench.canbo")
    admin = User.objects.get(username="bench.quantri")
    assessment = Assessment.objects.get(round__year=2026, unit=staff.unit)
    round_ = assessment.round
    round_publish(round_=round_)
    urls = {
        "assessment": (staff, reverse("scoring:assessment", args=[assessment.pk])),
        "ranking": (admin, reverse("scoring:ranking", args=[round_.pk])),
        "register": (admin, reverse("inspections:register")),
    }
    counts = {}
    for name, (user, url) in urls.items():
        client.force_login(user)
        assert client.get(url).status_code == 200
        queries = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            assert client.get(url).status_code == 200
        counts[name] = len(queries)
    return counts


def test_page_queries_do_not_grow_with_leaves_units_or_actions(client):
    counts = []
    for units, leaves in (("12", "15"), ("40", "30")):
        with transaction.atomic():
            call_command("generate_dataset", "--units", units, "--leaves", leaves, "--years", "2", stdout=io.StringIO())
            counts.append(_page_queries(client))
            transaction.set_rollback(True)
    assert counts[0] == counts[1], counts

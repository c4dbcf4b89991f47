"""Rebuild every stored figure of a year from the raw inputs: each leaf value's score and each
assessment's cached totals. Values are loaded once per round, never one query per leaf."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from scoring import calculation, engine
from scoring.models import LeafValue, Round, Stage


@dataclass
class Fix:
    unit_code: str
    field: str  # "self_total", … or "1.1.2 (Tự chấm) score"
    old: object
    new: object

    def __str__(self) -> str:
        return f"{self.unit_code}: {self.field} {_text(self.old)} → {_text(self.new)}"


@dataclass
class Report:
    rounds: int = 0
    changes: list[Fix] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _text(value) -> str:
    return "–" if value is None else str(value)


def recompute_year(year: int, *, dry_run: bool = False) -> Report:
    report = Report()
    with transaction.atomic():
        for round_ in Round.objects.filter(year=year).select_related("criteria_set", "group"):
            report.rounds += 1
            _recompute_round(round_, report, dry_run)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _recompute_round(round_: Round, report: Report, dry_run: bool) -> None:
    criteria_set = round_.criteria_set
    tree = criteria_set.engine_tree
    code_of = dict(criteria_set.criteria.values_list("pk", "code"))
    assessments = list(round_.assessments.select_related("unit").order_by("unit__code"))
    unit_of = {a.pk: a.unit.code for a in assessments}
    values_of: dict[int, list[LeafValue]] = defaultdict(list)
    broken: set[int] = set()
    rescored: list[LeafValue] = []
    for value in LeafValue.objects.filter(assessment__round=round_).order_by("assessment_id", "criterion_id", "stage"):
        values_of[value.assessment_id].append(value)
        code = code_of.get(value.criterion_id)
        try:
            points = engine.leaf_points(tree.nodes[code], value.as_input()).points
        except (engine.InputError, KeyError) as exc:
            broken.add(value.assessment_id)
            report.problems.append(
                f"{unit_of[value.assessment_id]}: {code} ({Stage(value.stage).label}): {getattr(exc, 'message', exc)}"
            )
            continue
        if value.score != points:
            report.changes.append(Fix(unit_of[value.assessment_id], f"{code} ({Stage(value.stage).label}) score", value.score, points))
            value.score = points
            rescored.append(value)
    if rescored and not dry_run:
        LeafValue.objects.bulk_update(rescored, ["score"], batch_size=500)
    for assessment in assessments:
        if assessment.pk in broken:
            continue  # its totals cannot be computed until the bad value is corrected
        grouped = calculation.group_values(values_of.get(assessment.pk, []), code_of)
        own = calculation.compute(tree, grouped, "self")
        final = calculation.compute(tree, grouped, "final")
        fresh = calculation.totals_fields(own, final)
        diffs = [Fix(assessment.unit.code, name, getattr(assessment, name), fresh[name]) for name in fresh if getattr(assessment, name) != fresh[name]]
        if diffs:
            report.changes.extend(diffs)
            if not dry_run:
                calculation.refresh_totals(assessment, tree, grouped)


class Command(BaseCommand):
    help = "Tính lại từ số liệu gốc điểm từng tiêu chí và mọi tổng điểm đã lưu của các phiếu trong một năm."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--dry-run", action="store_true", help="Chỉ liệt kê chỗ sai lệch, không sửa.")

    def handle(self, *args, year: int, dry_run: bool, **options):
        report = recompute_year(year, dry_run=dry_run)
        if not report.rounds:
            raise CommandError(f"Không có kỳ đánh giá nào năm {year}.")
        for problem in report.problems:
            self.stderr.write(f"Không tính được: {problem}")
        for fix in report.changes:
            self.stdout.write(str(fix))
        if not report.changes:
            self.stdout.write("Không có thay đổi.")
        elif dry_run:
            self.stdout.write(f"Chạy thử: {len(report.changes)} giá trị sai lệch, chưa sửa.")
        else:
            self.stdout.write(f"Đã sửa {len(report.changes)} giá trị.")

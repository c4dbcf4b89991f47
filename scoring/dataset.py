"""A reproducible synthetic province for benchmarks (`generate_dataset`).

Same seed and sizes → the same units, criteria, values and totals. Speed matters more than going
through the page services: at 1,000 units × 120 leaves × 3 years there are about a million leaf
values, so they are written with one multi-row statement per batch (COPY on PostgreSQL) instead of
`values_save`. Every number still comes from the engine: each value's `score` is
`engine.leaf_points` and each assessment's cached totals come from `calculation.choose_inputs` +
`engine.compute_tree`, the same rule `recompute_scores` checks them against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Unit, UnitGroup, User
from core import bulk
from core.text import search_key
from criteria.models import CriteriaSet, Criterion
from inspections.models import (
    ContentArea,
    DelegationMember,
    Finding,
    InspectionPlan,
    RemedialAction,
    Visit,
    VisitCheck,
)
from scoring import engine
from scoring.calculation import choose_inputs
from scoring.models import Assessment, EvidenceFile, LeafEvidence, LeafValue, Round

M = engine.Method
PASSWORD = "ChiSoCCHC@2026"
SCORE_METHODS = (M.MANUAL, M.CHOICE, M.BANDS, M.PROPORTIONAL, M.PER_ITEM, M.DEDUCTION, M.SURVEY)
BONUS_METHODS = (M.CHOICE, M.PER_ITEM)
PENALTY_METHODS = (M.PER_ITEM, M.MANUAL)
LEAF_MAX = (Decimal("1"), Decimal("1.5"), Decimal("2"), Decimal("0.5"))
DOMAINS = 8
LEAVES_PER_CRITERION = 5
BATCH = 200  # assessments per write batch: bounded memory on L (10,000 units × 150 leaves)
CHOICE_RULE = "Tốt = 100%; Khá = 75%; Đạt = 50%; Không đạt = 0"
APPRAISAL_NOTE = "Điều chỉnh theo hồ sơ thẩm định"
SELF_NOTE = "Theo báo cáo kết quả thực hiện CCHC năm"
DOMAIN_TITLES = (
    "Công tác chỉ đạo, điều hành CCHC",
    "Xây dựng và tổ chức thực hiện văn bản QPPL",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy hành chính",
    "Cải cách chế độ công vụ",
    "Cải cách tài chính công",
    "Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
    "Tác động của cải cách hành chính",
)
# The smallest valid PDF: one empty A4 page. The unit and file number go into a comment so each
# file has its own SHA-256 (one copy per assessment and hash).
PDF = (
    b"%PDF-1.4\n%% {tag}\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
LEAF_COLUMNS = (
    "assessment_id", "criterion_id", "stage", "not_applicable", "points", "option", "numerator",
    "denominator", "count", "rate", "score", "note", "updated_by_id", "updated_at",
)


@dataclass(frozen=True)
class Sizes:
    units: int
    leaves: int
    years: int
    seed: int = 1
    last_year: int = 2026


@dataclass
class Outcome:
    units: int = 0
    criteria_sets: int = 0
    rounds: int = 0
    assessments: int = 0
    values: int = 0
    evidence_files: int = 0
    plans: int = 0
    actions: int = 0
    seconds: float = 0.0


def group_sizes(units: int) -> dict[str, int]:
    """SO and XA a tenth each (at least 2 and 1), schools the rest: S gives a school group of 800."""
    so = max(2, units // 10)
    xa = max(1, units // 10)
    return {"SO": so, "XA": xa, "THPT": max(1, units - so - xa)}


def _points(value: Decimal) -> str:
    return engine.format_points(value)


# ---------------------------------------------------------------- criteria


def _leaf_rule(method: engine.Method, maximum: Decimal) -> tuple[str, str]:
    """(rule, inputs) text of a leaf, as a Home Affairs officer writes them."""
    if method is M.CHOICE:
        return CHOICE_RULE, ""
    if method is M.BANDS:
        three_quarters = engine.round_half_up(maximum * 3 / 4)
        half = engine.round_half_up(maximum / 2)
        rule = f">= 100% = {_points(maximum)}; >= 90% = {_points(three_quarters)}; > 80% = {_points(half)}; còn lại = 0"
        return rule, "Số nhiệm vụ hoàn thành / Tổng số nhiệm vụ"
    if method is M.PROPORTIONAL:
        return "", "Số hồ sơ đúng hạn / Tổng số hồ sơ"
    if method is M.PER_ITEM:
        return "0,5", "Số lần"
    if method is M.DEDUCTION:
        return "0,25", "Số trường hợp vi phạm"
    return "", ""


def _criteria_rows(leaves: int) -> list[dict]:
    """The tree of a set with `leaves` leaves: 8 score domains (criteria of 5 leaves), bonus, penalty."""
    bonus = max(1, leaves // 40)
    penalty = max(1, leaves // 40)
    score = max(1, leaves - bonus - penalty)
    domains = min(DOMAINS, score)
    per_domain = [score // domains + (1 if d < score % domains else 0) for d in range(domains)]
    rows: list[dict] = []
    leaf_no = 0

    def leaf(code: str, parent: str, method: engine.Method, kind: str, maximum: Decimal) -> dict:
        nonlocal leaf_no
        leaf_no += 1
        rule, inputs = _leaf_rule(method, maximum)
        return {
            "code": code, "parent": parent, "title": f"Tiêu chí {code}", "max_points": maximum, "kind": kind,
            "method": method.value, "rule": rule, "inputs": inputs,
            "allow_na": method is not M.SURVEY and leaf_no % 9 == 0,
            "evidence": "Báo cáo, văn bản chứng minh",
        }

    for d, count in enumerate(per_domain, start=1):
        domain = {"code": str(d), "parent": None, "title": DOMAIN_TITLES[d - 1], "kind": "score", "children": []}
        rows.append(domain)
        for c in range(1, (count + LEAVES_PER_CRITERION - 1) // LEAVES_PER_CRITERION + 1):
            criterion = {"code": f"{d}.{c}", "parent": str(d), "title": f"Nội dung {d}.{c}", "kind": "score", "children": []}
            rows.append(criterion)
            for i in range(1, min(LEAVES_PER_CRITERION, count - (c - 1) * LEAVES_PER_CRITERION) + 1):
                method = SCORE_METHODS[leaf_no % len(SCORE_METHODS)]
                maximum = Decimal("2") if method is M.SURVEY else LEAF_MAX[leaf_no % len(LEAF_MAX)]
                node = leaf(f"{d}.{c}.{i}", criterion["code"], method, "score", maximum)
                rows.append(node)
                criterion["children"].append(node)
            domain["children"].append(criterion)
    for code, title, kind, count, methods in (("B", "Điểm thưởng", "bonus", bonus, BONUS_METHODS), ("P", "Điểm trừ", "penalty", penalty, PENALTY_METHODS)):
        domain = {"code": code, "parent": None, "title": title, "kind": kind, "max_points": Decimal(2), "children": []}
        rows.append(domain)
        for i in range(1, count + 1):
            node = leaf(f"{code}.{i}", code, methods[(i - 1) % len(methods)], kind, Decimal(1))
            rows.append(node)
    # A score parent's maximum is the sum of its children's (children come after their parent).
    for row in reversed(rows):
        if "children" in row and row["kind"] == "score":
            row["max_points"] = sum((child["max_points"] for child in row["children"]), Decimal(0))
    return rows


def _create_set(group: UnitGroup, year: int, leaves: int) -> CriteriaSet:
    criteria_set = CriteriaSet.objects.create(
        code=f"{group.code}-{year}", name=f"Bộ chỉ số CCHC {group.name} năm {year}", year=year, group=group,
        decision_number=f"{100 + year % 100}/QĐ-UBND", decision_date=dt.date(year, 1, 15), decision_issuer="UBND tỉnh",
    )
    rows = _criteria_rows(leaves)
    by_code: dict[str, Criterion] = {}
    for depth in (0, 1, 2):
        level = [
            Criterion(
                criteria_set=criteria_set, code=row["code"], parent=by_code.get(row["parent"]) if row["parent"] else None,
                position=position, depth=depth, title=row["title"], max_points=row["max_points"], kind=row["kind"],
                method=row.get("method", ""), rule=row.get("rule", ""), inputs=row.get("inputs", ""),
                allow_na=row.get("allow_na", False), evidence=row.get("evidence", ""),
            )
            for position, row in enumerate(rows, start=1)
            if row["code"].count(".") == depth
        ]
        for created in Criterion.objects.bulk_create(level):
            by_code[created.code] = created
    problems = engine.check_tree(criteria_set.engine_nodes())
    if problems:  # a bug here, not bad data: the generator must only make valid sets
        raise RuntimeError("; ".join(f"{p.code}: {p.message}" for p in problems))
    CriteriaSet.objects.filter(pk=criteria_set.pk).update(status=CriteriaSet.Status.PUBLISHED, published_at=timezone.now())
    criteria_set.refresh_from_db()
    return criteria_set


# ---------------------------------------------------------------- values


def _random_input(node: engine.Node, rng: random.Random) -> engine.LeafInput:
    if node.allow_na and rng.random() < 0.05:
        return engine.LeafInput(not_applicable=True)
    method = node.method
    if method is M.MANUAL:
        return engine.LeafInput(points=Decimal(rng.randint(int(node.max_points * 2), int(node.max_points * 4))) / 4)
    if method is M.CHOICE:
        return engine.LeafInput(option=rng.choices(node.rule.options, weights=(4, 3, 2, 1)[: len(node.rule.options)])[0].label)
    if method is M.BANDS or method is M.PROPORTIONAL:
        denominator = rng.randint(20, 400)
        return engine.LeafInput(numerator=Decimal(int(denominator * rng.uniform(0.72, 1))), denominator=Decimal(denominator))
    if method is M.PER_ITEM:
        return engine.LeafInput(count=rng.choice((0, 0, 0, 1)) if node.kind is engine.Kind.PENALTY else rng.randint(0, 4))
    if method is M.DEDUCTION:
        return engine.LeafInput(count=rng.choice((0, 0, 0, 1, 2)))
    return engine.LeafInput(rate=Decimal(rng.randint(650, 990)) / 10)


class _Scorer:
    """engine.leaf_points with a memo: random inputs repeat a lot, and this runs a million times."""

    def __init__(self, tree: engine.Tree):
        self.tree = tree
        self.memo: dict[tuple, Decimal | None] = {}

    def __call__(self, code: str, inp: engine.LeafInput) -> Decimal | None:
        key = (code, inp.not_applicable, inp.points, inp.option, inp.numerator, inp.denominator, inp.count, inp.rate)
        if key not in self.memo:
            self.memo[key] = engine.leaf_points(self.tree.nodes[code], inp).points
        return self.memo[key]


def _insert_values(rows: list[tuple]) -> None:
    if not rows:
        return
    # Every row of a batch has the same time: adapt it once, not per row (COPY on PostgreSQL).
    adapted = connection.ops.adapt_datetimefield_value(rows[0][-1])
    bulk.insert_rows(LeafValue, LEAF_COLUMNS, [(*row[:-1], adapted) for row in rows])


def _fill_round(round_: Round, units: list[Unit], rng: random.Random, latest: bool, user: User) -> tuple[list[Assessment], int]:
    criteria_set = round_.criteria_set
    tree = criteria_set.engine_tree
    criteria = list(criteria_set.criteria.exclude(method="").order_by("position"))
    scorer = _Scorer(tree)
    now = timezone.now()
    created: list[Assessment] = []
    count = 0
    for start in range(0, len(units), BATCH):
        batch, pending = [], []
        for unit in units[start : start + BATCH]:
            if latest:
                state = rng.choice((Assessment.State.APPRAISED, Assessment.State.EXPLANATION, Assessment.State.FINALIZED))
            else:
                state = Assessment.State.FINALIZED
            per_leaf: dict[str, dict[str, engine.LeafInput]] = {}
            notes: dict[tuple[str, str], str] = {}
            for c in criteria:
                node = tree.nodes[c.code]
                if node.method is M.SURVEY:
                    per_leaf[c.code] = {"survey": _random_input(node, rng)}
                    continue
                own = _random_input(node, rng)
                stages = {"self": own}
                notes[(c.code, "self")] = SELF_NOTE
                if rng.random() < 0.85:
                    stages["appraisal"] = own
                else:
                    stages["appraisal"] = _random_input(node, rng)
                    notes[(c.code, "appraisal")] = APPRAISAL_NOTE
                if state == Assessment.State.FINALIZED and rng.random() < 0.05:
                    stages["final"] = _random_input(node, rng)
                    notes[(c.code, "final")] = APPRAISAL_NOTE
                per_leaf[c.code] = stages
            # The cached totals by the one rule of calculation.compute (what recompute_scores checks).
            own_result = engine.compute_tree(tree, choose_inputs(tree, per_leaf, "self"), include_survey=False)
            final_result = engine.compute_tree(tree, choose_inputs(tree, per_leaf, "final"), include_survey=True)
            batch.append(
                Assessment(
                    round=round_, unit=unit, state=state, submitted_at=now,
                    self_total=own_result.total, self_max=own_result.maximum, self_index=own_result.index,
                    final_total=final_result.total, final_max=final_result.maximum, final_index=final_result.index,
                    leaves_done=own_result.entered, leaves_todo=own_result.to_enter,
                )
            )
            pending.append((per_leaf, notes))
        saved = Assessment.objects.bulk_create(batch)
        rows = []
        for assessment, (per_leaf, notes) in zip(saved, pending, strict=True):
            for c in criteria:
                for stage, inp in per_leaf[c.code].items():
                    rows.append(
                        (
                            assessment.pk, c.pk, stage, inp.not_applicable, inp.points, inp.option or "", inp.numerator,
                            inp.denominator, inp.count, inp.rate, scorer(c.code, inp), notes.get((c.code, stage), ""),
                            user.pk, now,
                        )
                    )
        _insert_values(rows)
        count += len(rows)
        created.extend(saved)
    return created, count


def _evidence(assessments: list[Assessment], criteria: list[Criterion], user: User, rng: random.Random, year: int) -> int:
    """One small PDF for every tenth assessment, linked to two of its leaves."""
    files, links = [], []
    for n, assessment in enumerate(assessments):
        if n % 10:
            continue
        content = PDF.replace(b"{tag}", f"{year} {assessment.unit.code} {n}".encode())
        sha = hashlib.sha256(content).hexdigest()
        name = default_storage.save(f"evidence/{year}/{assessment.unit.code}/{sha}", ContentFile(content))
        files.append(
            EvidenceFile(
                assessment=assessment, file=name, original_name=f"bao-cao-{assessment.unit.code}.pdf",
                content_type="application/pdf", size=len(content), sha256=sha, uploaded_by=user,
            )
        )
    saved = EvidenceFile.objects.bulk_create(files)
    scored = [c for c in criteria if c.method != M.SURVEY]
    for file in saved:
        for criterion in rng.sample(scored, min(2, len(scored))):
            links.append(LeafEvidence(assessment=file.assessment, criterion=criterion, file=file, added_by=user))
    LeafEvidence.objects.bulk_create(links)
    return len(saved)


# ---------------------------------------------------------------- inspections


def _inspections(year: int, organizer: Unit, units: list[Unit], leaf_codes: list[str], inspector: User, rng: random.Random, always: Unit) -> int:
    """A plan of the year visiting a fifth of the units: 1 strength, 2 shortcomings of 2 requests each.

    `always` (the bench user's school) is visited every year, so its pages show findings at any size.
    """
    plan = InspectionPlan.objects.create(
        year=year, organizer=organizer, title=f"Kế hoạch kiểm tra công tác cải cách hành chính năm {year}",
        decision_number=f"{15 + year % 10}/KH-SNV", decision_date=dt.date(year, 3, 5), decision_issuer="Sở Nội vụ",
        purpose="Đánh giá kết quả thực hiện nhiệm vụ CCHC năm.", created_by=inspector,
    )
    areas = ContentArea.objects.bulk_create(
        [ContentArea(plan=plan, code=str(d), title=DOMAIN_TITLES[d - 1], domain_code=str(d), position=d) for d in range(1, DOMAINS + 1)]
        + [ContentArea(plan=plan, code="VTLT", title="Công tác văn thư, lưu trữ", position=DOMAINS + 1)]
    )
    others = [u for u in units if u.pk != always.pk]
    chosen = sorted([always, *rng.sample(others, max(1, len(units) // 5) - 1)], key=lambda u: u.code)
    tz = timezone.get_current_timezone()
    visits = Visit.objects.bulk_create(
        [
            Visit(
                plan=plan, unit=unit, planned_date=dt.date(year, 4, 1) + dt.timedelta(days=n % 120), status=Visit.Status.DONE,
                started_at=dt.datetime(year, 4, 1, 8, 0, tzinfo=tz) + dt.timedelta(days=n % 120),
                ended_at=dt.datetime(year, 4, 1, 11, 30, tzinfo=tz) + dt.timedelta(days=n % 120),
                place=f"Trụ sở {unit.name}", unit_attendees="Nguyễn Văn An – Thủ trưởng đơn vị\nTrần Thị Bình – Văn thư",
                unit_opinion="Đơn vị thống nhất với kết quả kiểm tra.",
            )
            for n, unit in enumerate(chosen)
        ]
    )
    DelegationMember.objects.bulk_create(
        [
            DelegationMember(visit=v, user=inspector, full_name=inspector.full_name, position_title="Phó Giám đốc Sở", agency="Sở Nội vụ", role="head", position=1)
            for v in visits
        ]
    )
    VisitCheck.objects.bulk_create(
        [VisitCheck(visit=v, area=a, checked=True, result=f"Đã kiểm tra hồ sơ về {a.title.lower()}") for v in visits for a in areas]
    )
    findings = []
    for v in visits:
        findings.append(Finding(visit=v, kind="strength", text="Triển khai đầy đủ kế hoạch CCHC năm.", area=areas[0], position=1, created_by=inspector))
        for i in (1, 2):
            findings.append(
                Finding(
                    visit=v, kind="shortcoming", text=f"Tồn tại số {i}: chưa cập nhật đầy đủ hồ sơ.", cause="Chưa phân công rõ đầu mối.",
                    area=areas[i], criterion_code=rng.choice(leaf_codes), position=i, created_by=inspector,
                )
            )
    findings = Finding.objects.bulk_create(findings)
    statuses = (RemedialAction.Status.OPEN, RemedialAction.Status.OPEN, RemedialAction.Status.REPORTED, RemedialAction.Status.CLOSED)
    actions = [
        RemedialAction(
            finding=f, text=f"Khắc phục: {f.text.lower()} (yêu cầu {k})", responsible_unit=f.visit.unit,
            deadline=dt.date(year, 5, 1) + dt.timedelta(days=rng.randint(0, 200)), status=rng.choice(statuses),
        )
        for f in findings
        if f.kind == "shortcoming"
        for k in (1, 2)
    ]
    RemedialAction.objects.bulk_create(actions, batch_size=500)
    return len(actions)


# ---------------------------------------------------------------- the province


def _users(snv: Unit, first_school: Unit, groups: list[UnitGroup]) -> dict[str, User]:
    password = make_password(PASSWORD)  # hashed once: PBKDF2 is deliberately slow

    def user(username, full_name, unit, **roles):
        return User.objects.create(username=username, full_name=full_name, unit=unit, password=password, **roles)

    cast = {
        "admin": user("bench.quantri", "Quản trị Sở Nội vụ", snv, is_home_affairs=True, is_staff=True, is_superuser=True),
        "appraiser": user("bench.thamdinh", "Thẩm định viên", snv, is_appraiser=True),
        "inspector": user("bench.kiemtra", "Lê Văn Kiểm", snv, is_inspector=True),
        "staff": user("bench.canbo", "Cán bộ trường", first_school, is_unit_staff=True),
        "viewer": user("bench.xem", "Người xem", None, is_viewer=True),
    }
    cast["appraiser"].appraised_groups.set(groups)
    return cast


def _units(rng: random.Random, sizes: dict[str, int]) -> tuple[list[UnitGroup], dict[str, list[Unit]]]:
    groups = UnitGroup.objects.bulk_create(
        [
            UnitGroup(code="SO", name="Sở, ban, ngành", position=1),
            UnitGroup(code="XA", name="UBND xã, phường", position=2),
            UnitGroup(code="THPT", name="Trường THPT", position=3),
        ]
    )
    by_code = {g.code: g for g in groups}

    def unit(code, name, group, parent=None):
        return Unit(code=code, name=name, group=by_code[group], parent=parent, search_name=search_key(f"{code} {name}"))

    so = [unit("SNV", "Sở Nội vụ", "SO"), unit("SGDDT", "Sở Giáo dục và Đào tạo", "SO")]
    so += [unit(f"S{n:03d}", f"Sở ngành số {n}", "SO") for n in range(1, sizes["SO"] - 1)]
    so = Unit.objects.bulk_create(so)
    education = so[1]
    xa = Unit.objects.bulk_create([unit(f"X{n:04d}", f"UBND xã số {n}", "XA") for n in range(1, sizes["XA"] + 1)])
    schools = Unit.objects.bulk_create(
        [unit(f"T{n:05d}", f"Trường THPT số {n}", "THPT", education) for n in range(1, sizes["THPT"] + 1)], batch_size=500
    )
    return groups, {"SO": so, "XA": xa, "THPT": schools}


def generate(sizes: Sizes, progress: Callable[[str], None] = lambda text: None) -> Outcome:
    """Build the province into an empty database (refuses one that already has units)."""
    if Unit.objects.exists():
        raise ValueError("database already has units: generate_dataset needs a freshly migrated database")
    started = time.perf_counter()
    rng = random.Random(sizes.seed)
    outcome = Outcome()

    def step(text: str) -> None:
        progress(f"[{time.perf_counter() - started:7.1f}s] {text}")

    with transaction.atomic():
        groups, units = _units(rng, group_sizes(sizes.units))
        cast = _users(units["SO"][0], units["THPT"][0], groups)
        outcome.units = sum(len(u) for u in units.values())
    step(f"{outcome.units} units in {len(groups)} groups")
    first_year = sizes.last_year - sizes.years + 1
    for year in range(first_year, sizes.last_year + 1):
        for group in groups:
            with transaction.atomic():
                criteria_set = _create_set(group, year, sizes.leaves)
                round_ = Round.objects.create(
                    year=year, group=group, criteria_set=criteria_set, opened_by=cast["admin"],
                    self_deadline=dt.date(year, 10, 31), appraisal_deadline=dt.date(year, 11, 30),
                    explanation_deadline=dt.date(year, 12, 10), final_deadline=dt.date(year, 12, 20),
                )
                assessments, count = _fill_round(round_, units[group.code], rng, year == sizes.last_year, cast["admin"])
                criteria = list(criteria_set.criteria.exclude(method=""))
                outcome.evidence_files += _evidence(assessments, criteria, cast["staff"], rng, year)
            outcome.criteria_sets += 1
            outcome.rounds += 1
            outcome.assessments += len(assessments)
            outcome.values += count
            step(f"{year} {group.code}: {len(assessments)} assessments, {count} leaf values")
        with transaction.atomic():
            leaf_codes = list(Criterion.objects.filter(criteria_set__year=year, criteria_set__group__code="SO").exclude(method="").values_list("code", flat=True))
            everyone = [u for g in ("SO", "XA", "THPT") for u in units[g] if u.code != "SNV"]
            outcome.actions += _inspections(year, units["SO"][0], everyone, leaf_codes, cast["inspector"], rng, units["THPT"][0])
            outcome.plans += 1
        step(f"{year}: inspection plan, {outcome.actions} remedial actions so far")
    # Fresh planner statistics, as autovacuum would gather soon after a real bulk load: without
    # them PostgreSQL plans for the empty tables it saw at migration time.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    step("statistics gathered (ANALYZE)")
    outcome.seconds = time.perf_counter() - started
    return outcome

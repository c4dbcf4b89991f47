"""The benchmark of issue 6: build a synthetic province, measure, print one JSON object per line.

    .venv/bin/python bench/run.py [--size tiny|S|L] [--db sqlite|postgres|both] [--repeat 5] [--only publish,pages,...]

Data: `generate_dataset` into a dedicated database per size — SQLite `bench/.data/bench-<size>.sqlite3`,
PostgreSQL `bench_par_<size>` on `BENCH_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432) — built once
per size and seed and reused while the marker file next to it says it matches (`--rebuild` forces it);
`BENCH_DATA=/some/folder` keeps the SQLite data elsewhere.
Each figure is the median of `--repeat` runs (the 100,000-row import at most 3), compared with the
limit of the same work on the same machine in the same run, as issue 6 asks; where a ratio is the
target (publishing, importing), the work and its reference alternate run by run and the ratio is the
median of the runs' own ratios. Nothing measured is
left behind: publications are deleted and imports rolled back after each run.

Sizes: tiny = 60 units × 20 leaves × 1 year (a smoke check in well under a minute once built),
S = 1,000 × 120 × 3 (a school group of 800 units), L = 10,000 × 150 × 1.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_DATA: another folder, so that two people (or two helpers) can measure at once on copies.
DATA = Path(os.environ.get("BENCH_DATA", ROOT / "bench" / ".data")).resolve()
SIZES = {
    "tiny": {"units": 60, "leaves": 20, "years": 1},
    "S": {"units": 1000, "leaves": 120, "years": 3},
    "L": {"units": 10000, "leaves": 150, "years": 1},
}
SEED = 1
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
WORKS = ("publish", "publish_all", "pages", "import", "export", "pdf")


# ---------------------------------------------------------------- building the data (parent process)


def _name(db: str, size: str) -> str:
    """The data of each size lives apart: building S never drops L."""
    return f"bench-{size}.sqlite3" if db == "sqlite" else f"bench_par_{size.lower()}"


def _env(db: str, size: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{DATA / _name(db, size)}" if db == "sqlite" else f"{PG_SERVER}/{_name(db, size)}"
    env["MEDIA_ROOT"] = str(DATA / f"media-{db}-{size}")
    env["DEBUG"] = "false"
    return env


def _manage(db: str, size: str, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=_env(db, size), cwd=ROOT, stdout=sys.stderr)


def _recreate_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(db: str, size: str, rebuild: bool) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    name = _name(db, size)
    marker = DATA / f"{name}.json"
    wanted = {**SIZES[size], "seed": SEED}
    if not rebuild and marker.exists() and json.loads(marker.read_text()) == wanted:
        return
    print(f"# building {size} on {db} …", file=sys.stderr)
    marker.unlink(missing_ok=True)
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            (DATA / f"{name}{suffix}").unlink(missing_ok=True)
    else:
        _recreate_postgres(name)
    subprocess.run(["rm", "-rf", str(DATA / f"media-{db}-{size}")], check=True)
    _manage(db, size, "migrate", "-v0")
    s = SIZES[size]
    _manage(db, size, "generate_dataset", "--units", str(s["units"]), "--leaves", str(s["leaves"]), "--years", str(s["years"]), "--seed", str(SEED))
    marker.write_text(json.dumps(wanted))


# ---------------------------------------------------------------- measuring (worker process, one database)


class Bench:
    def __init__(self, db: str, size: str, repeat: int):
        self.db, self.size, self.repeat = db, size, repeat

    def emit(self, work: str, figure: float, *, unit: str = "s", reference: float | None = None, ratio: float | None = None,
             target: str = "", ok: bool | None = None, runs: int = 0, **extra) -> None:
        key = "figure_s" if unit == "s" else "figure"
        line = {"db": self.db, "size": self.size, "work": work, key: round(figure, 4),
                "reference": None if reference is None else round(reference, 4),
                "ratio": None if ratio is None else round(ratio, 3), "target": target, "ok": ok, "runs": runs, **extra}
        print(json.dumps(line, ensure_ascii=False), flush=True)

    def median(self, run, *, runs: int | None = None, setup=None, teardown=None) -> tuple[float, int]:
        times = []
        n = runs or self.repeat
        for _ in range(n):
            if setup:
                setup()
            times.append(_timed(run))
            if teardown:
                teardown()
        return statistics.median(times), n

    def paired(self, run, reference, *, runs: int | None = None, teardown=None) -> tuple[float, float, float, int]:
        """(median of run, median of reference, median of the per-pair ratios run / reference, runs).

        The two alternate, in turn first (ABBA…), so both see the same machine: this VM's speed
        drifts by up to 30 % within minutes, and measuring all of one then all of the other moved
        a ratio by as much as that drift. The medians of the two need not divide to the ratio.
        """
        figures, references, ratios = [], [], []
        n = runs or self.repeat
        for i in range(n):
            if i % 2 == 0:
                references.append(_timed(reference))
                figures.append(_timed(run))
            else:
                figures.append(_timed(run))
                references.append(_timed(reference))
            ratios.append(figures[-1] / references[-1])
            if teardown:
                teardown()
        return statistics.median(figures), statistics.median(references), statistics.median(ratios), n


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _latest_rounds():
    from scoring.models import Round

    year = Round.objects.order_by("-year").values_list("year", flat=True).first()
    rounds = {r.group.code: r for r in Round.objects.filter(year=year).select_related("group", "criteria_set")}
    return year, rounds


def _unpublish(round_) -> None:
    from scoring.models import Publication, PublishedResult

    PublishedResult.objects.filter(publication__round=round_).delete()
    Publication.objects.filter(round=round_).delete()


SQL_RANK = """
WITH per_leaf AS (
    SELECT v.assessment_id,
           COALESCE(MAX(CASE WHEN v.stage = 'final' THEN v.score END),
                    MAX(CASE WHEN v.stage = 'appraisal' THEN v.score END),
                    MAX(CASE WHEN v.stage = 'self' THEN v.score END),
                    MAX(CASE WHEN v.stage = 'survey' THEN v.score END), 0) AS points
    FROM {value} v JOIN {assessment} a ON a.id = v.assessment_id
    WHERE a.round_id = %s
    GROUP BY v.assessment_id, v.criterion_id
)
SELECT assessment_id, SUM(points) AS total, RANK() OVER (ORDER BY SUM(points) DESC) AS rank
FROM per_leaf GROUP BY assessment_id
"""


def measure_publish(b: Bench) -> None:
    """round_publish of the biggest group vs one SQL query summing stored leaf points and ranking."""
    from django.db import connection

    from scoring.models import Assessment, LeafValue
    from scoring.ranking import round_publish

    _year, rounds = _latest_rounds()
    round_ = rounds["THPT"]
    units = round_.assessments.count()
    leaves = round_.criteria_set.criteria.exclude(method="").count()
    sql = SQL_RANK.format(value=LeafValue._meta.db_table, assessment=Assessment._meta.db_table)

    def query():
        with connection.cursor() as cursor:
            cursor.execute(sql, [round_.pk])
            assert len(cursor.fetchall()) == units

    _unpublish(round_)
    query()  # warm the page cache: both sides then read from memory
    figure, reference, ratio, runs = b.paired(lambda: round_publish(round_=round_), query, teardown=lambda: _unpublish(round_))
    # The issue's ratio target is for a group of 800 units (S); L's 8,000-unit group is information,
    # its target being the whole year's publication below.
    ok = ratio <= 3 and figure < 2 if b.size == "S" else None
    b.emit(f"publish ranking, {units} units × {leaves} leaves", figure, reference=reference, ratio=ratio,
           target="≤ 3 × reference; < 2 s on S" if b.size == "S" else "(information on L)", ok=ok, runs=runs)


def measure_publish_all(b: Bench) -> None:
    """Publishing every round of the latest year (10,000 units on L): time and peak memory."""
    from scoring.ranking import round_publish

    _year, rounds = _latest_rounds()
    units = sum(r.assessments.count() for r in rounds.values())

    def publish_all():
        for round_ in rounds.values():
            round_publish(round_=round_)

    def clean():
        for round_ in rounds.values():
            _unpublish(round_)

    clean()
    figure, runs = b.median(publish_all, teardown=clean, runs=min(b.repeat, 3))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    publish_all()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    clean()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    b.emit(f"publish all rounds of a year, {units} units", figure, target="< 20 s on L (PostgreSQL)",
           ok=figure < 20 if b.size == "L" else None, runs=runs)
    b.emit(f"publish all rounds of a year, {units} units: peak Python memory", peak / 2**20, unit="MiB",
           target="< 1024 MiB", ok=peak < 2**30, runs=1, maxrss_mib=round(rss_after / 1024, 1),
           maxrss_growth_mib=round((rss_after - rss_before) / 1024, 1))


def _page(b: Bench, client, url: str, before=lambda: None) -> tuple[float, int, int]:
    """`before` runs ahead of each view (and is timed with it): e.g. forgetting what the process keeps."""
    from django.db import connection

    response = client.get(url)  # warm-up (templates, translations)
    assert response.status_code == 200, (url, response.status_code)
    # Counted with a wrapper: the request_started signal empties connection.queries mid-capture.
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    def view():
        before()
        return client.get(url)

    with connection.execute_wrapper(count):
        view()
    figure, runs = b.median(view)
    return figure, len(queries), runs


def measure_pages(b: Bench) -> None:
    """Server time (test Client, DEBUG off) and query counts; query counts compared with a smaller case."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from inspections.models import RemedialAction
    from scoring.models import Assessment
    from scoring.ranking import _PUBLISHED_UNITS as published_units
    from scoring.ranking import round_publish

    settings.DEBUG = False
    year, rounds = _latest_rounds()
    staff = User.objects.get(username="bench.canbo")
    admin = User.objects.get(username="bench.quantri")
    client = Client()

    client.force_login(staff)
    assessment = Assessment.objects.get(round=rounds["THPT"], unit=staff.unit)
    leaves = rounds["THPT"].criteria_set.criteria.exclude(method="").count()
    figure, queries, runs = _page(b, client, reverse("scoring:assessment", args=[assessment.pk]))
    b.emit(f"self-assessment page, {leaves} leaves", figure, target="≤ 0.150 s; queries not growing with leaves",
           ok=figure <= 0.150, runs=runs, queries=queries)

    client.force_login(admin)
    for code in ("XA", "THPT"):  # XA is the smaller group: the query count must be the same
        round_ = rounds[code]
        units = round_.assessments.count()
        url = reverse("scoring:ranking", args=[round_.pk])
        _unpublish(round_)
        round_publish(round_=round_)
        try:
            # The first view in a process (its frozen rows read), then any later one (kept by the process).
            figure, queries, runs = _page(b, client, url, before=published_units.clear)
            sized = code == "THPT" and units <= 1000  # the target's group is 800 units; L's has 8,000
            b.emit(f"ranking page (published), {code} {units} units", figure,
                   target="≤ 0.300 s; queries not growing with units" if sized else "(information; queries as for 800 units)",
                   ok=figure <= 0.300 if sized else None, runs=runs, queries=queries)
            figure, queries, runs = _page(b, client, url)
            b.emit(f"ranking page (published, viewed again), {code} {units} units", figure, target="(information)",
                   ok=None, runs=runs, queries=queries)
        finally:
            _unpublish(round_)
        # The provisional ranking computed for every view, then read from its shared snapshot
        # (scoring/live_ranking.py), as served while RANKING_LIVE_SECONDS have not passed.
        live_seconds = settings.RANKING_LIVE_SECONDS
        try:
            settings.RANKING_LIVE_SECONDS = 0
            figure, queries, runs = _page(b, client, url)
            b.emit(f"ranking page (provisional, computed live), {code} {units} units", figure, target="(information)",
                   ok=None, runs=runs, queries=queries)
            settings.RANKING_LIVE_SECONDS = 30
            figure, queries, runs = _page(b, client, url)
            b.emit(f"ranking page (provisional, from the snapshot), {code} {units} units", figure,
                   target="(information)", ok=None, runs=runs, queries=queries)
        finally:
            settings.RANKING_LIVE_SECONDS = live_seconds

    url = reverse("inspections:register")
    total = RemedialAction.objects.count()
    figure, queries, runs = _page(b, client, url)
    b.emit(f"inspection register, {total} actions", figure, target="≤ 0.300 s; queries not growing with actions",
           ok=figure <= 0.300, runs=runs, queries=queries)
    figure, queries_one_year, runs = _page(b, client, f"{url}?year={year}")
    b.emit(f"inspection register, {RemedialAction.objects.filter(finding__visit__plan__year=year).count()} actions (one year)",
           figure, target="(information: same query count)", ok=queries_one_year == queries, runs=runs, queries=queries_one_year)


def _scores_file(rows_wanted: int, year: int) -> tuple[Path, int]:
    import random

    from openpyxl import Workbook

    from scoring import engine
    from scoring.dataset import _random_input
    from scoring.models import Assessment

    path = DATA / f"import-{rows_wanted}-{year}.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Mã đơn vị", "Mã tiêu chí", "Điểm", "Lựa chọn", "Tử số", "Mẫu số", "Số lượng", "Không áp dụng", "Ghi chú"])
    rng = random.Random(7)
    rows = 0
    for assessment in Assessment.objects.filter(round__year=year).select_related("unit", "round__criteria_set").order_by("round__group__position", "unit__code"):
        tree = assessment.round.criteria_set.engine_tree
        for code in tree.leaves:
            node = tree.nodes[code]
            if node.method is engine.Method.SURVEY:
                continue
            inp = _random_input(node, rng)
            sheet.append([assessment.unit.code, code, inp.points, inp.option, inp.numerator, inp.denominator, inp.count,
                          "x" if inp.not_applicable else None, "Nhập từ tệp"])
            rows += 1
            if rows >= rows_wanted:
                break
        if rows >= rows_wanted:
            break
    workbook.save(path)
    return path, rows


def measure_import(b: Bench) -> None:
    """scores_import of 100,000 rows (rolled back) vs merely reading the file with openpyxl read-only."""
    from django.db import transaction
    from openpyxl import load_workbook

    from scoring.excel import scores_import

    year, _rounds = _latest_rounds()
    wanted = 100_000 if b.size != "tiny" else 2_000
    path, rows = _scores_file(wanted, year)

    def read():
        workbook = load_workbook(path, read_only=True)
        for _row in workbook.active.iter_rows(values_only=True):
            pass
        workbook.close()

    def run_import():
        with transaction.atomic():
            outcome = scores_import(source=str(path), year=year, stage="self", filename=path.name)
            assert outcome.ok, outcome.errors[:3]
            transaction.set_rollback(True)

    figure, reference, slowdown, runs = b.paired(run_import, read, runs=min(b.repeat, 3))
    ratio = 1 / slowdown
    b.emit(f"import_scores, {rows} rows", figure, reference=reference, ratio=ratio,
           target="ratio = read / import ≥ 0.30", ok=ratio >= 0.30, runs=runs)


def measure_export(b: Bench) -> None:
    from scoring import exports, ranking

    _year, rounds = _latest_rounds()
    round_ = rounds["THPT"]
    result = ranking.compute(round_)

    def export():
        exports.workbook(result)

    figure, runs = b.median(export, runs=min(b.repeat, 3))
    b.emit(f"Excel ranking workbook, {len(result.units)} units × {len(result.leaves)} leaves", figure,
           target="< 10 s", ok=figure < 10, runs=runs)


def _pages(template_name: str, context: dict) -> int:
    # Counted on the layout, not the file: WeasyPrint compresses the PDF's page objects.
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    return len(HTML(string=html, base_url=Path(settings.BASE_DIR).resolve().as_uri() + "/").render().pages)


def _notice(visit):
    import datetime as dt

    from inspections.models import Finding, RemedialAction
    from inspections.services.documents import document_defaults, document_save_draft

    # A long notice: more findings than the generated visits have, as a real three-page notice.
    for n in range(1, 9):
        finding = Finding.objects.create(
            visit=visit, kind="shortcoming", position=10 + n,
            text=f"Tồn tại số {n}: hồ sơ thủ tục hành chính chưa được cập nhật đầy đủ trên Hệ thống thông tin giải quyết "
            "thủ tục hành chính của tỉnh; một số hồ sơ trễ hạn chưa có văn bản xin lỗi người dân theo quy định.",
            cause="Chưa phân công rõ đầu mối theo dõi, đôn đốc; công chức kiêm nhiệm nhiều việc.",
        )
        RemedialAction.objects.create(finding=finding, text=f"Khắc phục tồn tại số {n} trong thời hạn quy định.", responsible_unit=visit.unit)
    data = document_defaults(visit=visit, kind="notice")
    data.update(number="12/TB-SNV", issue_date=dt.date(visit.plan.year, 6, 1), signer_name="Nguyễn Thị Hoa")
    return document_save_draft(visit=visit, kind="notice", user=None, data=data)


def measure_pdf(b: Bench) -> None:
    from django.db import transaction

    from core.pdf import render_pdf
    from inspections.models import Visit
    from inspections.services.documents import TEMPLATES, document_context, document_render
    from scoring import ranking
    from scoring.views.reports import ranking_report_context

    year, rounds = _latest_rounds()
    with transaction.atomic():
        visit = Visit.objects.filter(plan__year=year).order_by("pk").first()
        document = _notice(visit)
        pages = _pages(TEMPLATES[document.kind], document_context(document=document, draft=False))
        figure, runs = b.median(lambda: document_render(document=document, draft=False))
        transaction.set_rollback(True)
    b.emit(f"conclusion notice PDF, {pages} pages", figure, target="< 1.5 s", ok=figure < 1.5, runs=runs)

    round_ = rounds["THPT"]
    _unpublish(round_)
    ranking.round_publish(round_=round_)
    try:
        def report():
            result = ranking.current(round_)
            return render_pdf("documents/ranking_report.html", ranking_report_context(result, "final"))

        pages = _pages("documents/ranking_report.html", ranking_report_context(ranking.current(round_), "final"))
        figure, runs = b.median(report, runs=min(b.repeat, 3))
    finally:
        _unpublish(round_)
    b.emit(f"ranking report PDF, {round_.assessments.count()} units, {pages} pages", figure, target="< 15 s", ok=figure < 15, runs=runs)


def worker(db: str, size: str, repeat: int, only: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    # As in the tests: no collectstatic here, so no hashed-name manifest; pages still render the same.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    bench = Bench(db, size, repeat)
    for work in only:
        started = time.perf_counter()
        globals()[f"measure_{work}"](bench)
        print(f"# {db} {work}: {time.perf_counter() - started:.0f}s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=SIZES, default="S")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(WORKS)}")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data even if the marker matches")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    only = [w for w in args.only.split(",") if w] or list(WORKS)
    unknown = set(only) - set(WORKS)
    if unknown:
        parser.error(f"unknown work: {', '.join(sorted(unknown))}")
    if args.worker:
        worker(args.db, args.size, args.repeat, only)
        return
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        build(db, args.size, args.rebuild)
        # Settings are read from the environment at start-up: one process per database.
        subprocess.run(
            [sys.executable, __file__, "--worker", "--db", db, "--size", args.size, "--repeat", str(args.repeat), "--only", ",".join(only)],
            check=True, env=_env(db, args.size), cwd=ROOT,
        )


if __name__ == "__main__":
    main()

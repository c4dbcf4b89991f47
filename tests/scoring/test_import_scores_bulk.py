"""The bulk write of import_scores leaves what a row-by-row `values_save` leaves: values, scores,
history rows and cached totals, for every stage; it locks what it writes and validates before writing."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from scoring import calculation, engine
from scoring.excel import parse_scores, scores_import
from scoring.models import Assessment, AssessmentEvent, LeafValue, Stage, ValueChange
from scoring.services import BulkEntry, LeafEntry, values_save, values_save_many
from tests.scoring.test_import_scores import HEADERS, r
from tests.xlsx import xlsx_bytes

D = Decimal


@pytest.fixture
def history(round_so, so_set, cast):
    """SGDDT self-assessed with notes and appraised; STP half self-assessed; SNV untouched."""
    criteria = {c.code: c for c in so_set.criteria.all()}
    sgddt, stp = (round_so.assessments.get(unit__code=code) for code in ("SGDDT", "STP"))

    def save(assessment, stage, values, **kwargs):
        entries = [LeafEntry(criteria[code], engine.LeafInput(**inp), note) for code, (inp, note) in values.items()]
        assert not values_save(assessment=assessment, stage=stage, entries=entries, user=cast["staff_a"], **kwargs).errors

    save(sgddt, Stage.SELF, {
        "1.1.1": ({"option": "Ban hành kịp thời"}, "Ban hành ngày 05/01"),
        "1.1.2": ({"numerator": D(95), "denominator": D(100)}, ""),
        "1.2.1": ({"not_applicable": True}, "Không có đơn vị trực thuộc"),
        "1.2.2": ({"points": D("1.25")}, ""),
        "2.1": ({"numerator": D(2299), "denominator": D(2412)}, ""),
        "2.2": ({"count": 3}, ""),
        "2.3": ({"count": 1}, ""),
        "2.4": ({"option": "Hoàn thành tốt"}, ""),
        "B.1": ({"option": "Giấy khen"}, ""),
        "P.1": ({"count": 1}, ""),
    })
    save(sgddt, Stage.APPRAISAL, {"1.2.2": ({"points": D(1)}, "Thiếu báo cáo quý IV"), "2.2": ({"count": 2}, "Một quy chế chưa ban hành")})
    save(sgddt, Stage.SURVEY, {"2.5": ({"rate": D("80")}, "")})
    save(stp, Stage.SELF, {"1.2.2": ({"points": D("0.5")}, "Tự đánh giá"), "2.2": ({"count": 0}, ""), "2.4": ({"not_applicable": True}, "")})
    Assessment.objects.filter(pk=sgddt.pk).update(state=Assessment.State.SUBMITTED)
    Assessment.objects.filter(pk=stp.pk).update(state=Assessment.State.EXPLANATION)
    return criteria


SELF_FILE = [
    r("SGDDT", "1.1.1", option="ban hành KHÔNG kịp thời", note="Ban hành ngày 20/01"),  # option and note change
    r("SGDDT", "1.1.2", num=95, den=100),  # unchanged
    r("SGDDT", "1.2.1", num=1, den=3, note="Có 3 đơn vị"),  # not applicable → figures
    r("SGDDT", "1.2.2", points="1,5"),
    r("SGDDT", "2.2", count=0),  # zero is a value
    r("SGDDT", "2.4"),  # cleared
    r("SGDDT", "B.2", count=1),  # new leaf
    r("STP", "1.2.2", points="0,5"),  # the note is cleared
    r("STP", "2.4", option="Hoàn thành"),  # not applicable → option
    r("STP", "P.1", na=None, count=2),
    r("SNV", "1.1.1", option="Không ban hành", note="Chưa ban hành"),  # every value new
    r("SNV", "1.1.2", num=11995, den=11999),
    r("SNV", "2.1", num="2299", den="2412"),
    r("SNV", "2.3", count=5),
]
NO_NOTE_HEADERS = HEADERS[:-1]
CASES = {
    "self": ("self", HEADERS, SELF_FILE),
    "self without a note column": ("self", NO_NOTE_HEADERS, [row[:-1] for row in SELF_FILE]),
    # SGDDT is submitted: the preliminary appraisal; STP is in the explanation round: the final one.
    "appraisal": ("appraisal", HEADERS, [
        r("SGDDT", "1.2.2", points="1,5", note="Đã bổ sung báo cáo"),
        r("SGDDT", "2.2", count=2, note="Một quy chế chưa ban hành"),  # unchanged
        r("SGDDT", "2.3", count=2, note="Thêm một trường hợp"),
        r("STP", "1.2.2", points=0, note="Không có báo cáo"),
        r("STP", "2.4", na="x"),
        r("SNV", "B.1", option="Bằng khen"),
    ]),
    "survey": ("survey", HEADERS, [r("SGDDT", "2.5", points="92,5"), r("STP", "2.5", points=80), r("SNV", "2.5", points="0")]),
}


def _row_by_row(rows, *, user, reason):
    """What import_scores wrote before the bulk path: values_save per assessment and stage."""
    groups = {}
    for row in rows:
        groups.setdefault((row.assessment.pk, row.stage), []).append(row)
    for (_pk, stage), group in groups.items():
        stored = {v.criterion_id: v.note for v in LeafValue.objects.filter(assessment=group[0].assessment, stage=stage)}
        entries = [LeafEntry(row.criterion, row.input, stored.get(row.criterion.pk, "") if row.note is None else row.note) for row in group]
        assert not values_save(assessment=group[0].assessment, stage=stage, entries=entries, user=user, reason=reason).errors


def _snapshot():
    values = {
        (v.assessment.unit.code, v.criterion.code, v.stage): (
            v.not_applicable, v.points, v.option, v.numerator, v.denominator, v.count, v.rate, v.score, v.note, v.updated_by_id
        )
        for v in LeafValue.objects.select_related("assessment__unit", "criterion")
    }
    changes = sorted(
        (c.assessment.unit.code, c.criterion.code, c.stage, c.field, c.old_value, c.new_value, c.changed_by_id, c.reason)
        for c in ValueChange.objects.select_related("assessment__unit", "criterion")
    )
    totals = {
        a.unit.code: (a.self_total, a.self_max, a.self_index, a.final_total, a.final_max, a.final_index, a.leaves_done, a.leaves_todo)
        for a in Assessment.objects.select_related("unit")
    }
    return values, changes, totals


@pytest.mark.parametrize(("stage", "headers", "rows"), CASES.values(), ids=CASES.keys())
def test_it_writes_what_a_row_by_row_save_writes(history, cast, stage, headers, rows):
    source = xlsx_bytes(headers, rows)
    before = _snapshot()
    with transaction.atomic():
        outcome = scores_import(source=source, year=2026, stage=stage, user=cast["admin"], filename="tep.xlsx")
        assert outcome.ok, [str(e) for e in outcome.errors]
        bulk = _snapshot()
        transaction.set_rollback(True)
    with transaction.atomic():
        parsed, errors = parse_scores(source, year=2026, stage=stage)
        assert not errors
        _row_by_row(parsed, user=cast["admin"], reason="tep.xlsx")
        expected = _snapshot()
        transaction.set_rollback(True)

    assert bulk[0] == expected[0]  # values and scores
    assert bulk[1] == expected[1]  # history
    assert bulk[2] == expected[2]  # cached totals
    assert bulk[2] != before[2]  # the file did change something
    # The outcome lists exactly the history rows written, field by field.
    listed = Counter((c.unit_code, c.criterion_code, c.stage, c.field, c.old, c.new, cast["admin"].pk, "tep.xlsx") for c in outcome.changes)
    assert listed == Counter(bulk[1]) - Counter(before[1])


@pytest.mark.parametrize("stage", ["self", "appraisal", "survey"])
def test_the_cached_totals_are_the_ones_refresh_totals_computes(history, stage):
    scores_import(source=xlsx_bytes(*CASES[stage][1:]), year=2026, stage=stage, filename="tep.xlsx")
    for assessment in Assessment.objects.all():
        cached = _snapshot()[2][assessment.unit.code]
        calculation.refresh_totals(assessment)
        assert _snapshot()[2][assessment.unit.code] == cached, assessment.unit.code


def test_dry_run_lists_the_changes_of_the_real_run_and_writes_nothing(history, cast):
    source = xlsx_bytes(HEADERS, SELF_FILE)
    before = _snapshot()
    preview = scores_import(source=source, year=2026, stage="self", user=cast["admin"], filename="tep.xlsx", dry_run=True)
    assert _snapshot() == before
    assert not AssessmentEvent.objects.filter(action="import").exists()
    done = scores_import(source=source, year=2026, stage="self", user=cast["admin"], filename="tep.xlsx")
    assert preview.changes == done.changes and preview.changed == done.changed and preview.unchanged == done.unchanged
    assert (done.changed, done.unchanged) == ({Stage.SELF: 13}, 1)
    # The same file again: nothing is applied twice.
    again = scores_import(source=source, year=2026, stage="self", user=cast["admin"], filename="tep.xlsx")
    assert (again.changed, again.unchanged, again.changes) == ({}, 14, [])
    assert ValueChange.objects.count() == len(before[1]) + len(done.changes)


def test_one_event_per_submitted_assessment_and_stage(history, cast):
    scores_import(source=xlsx_bytes(*CASES["appraisal"][1:]), year=2026, stage="appraisal", user=cast["admin"], filename="tep.xlsx")
    events = {(e.assessment.unit.code, e.from_state, e.to_state, e.note, e.actor_id) for e in AssessmentEvent.objects.filter(action="import")}
    assert events == {
        ("SGDDT", "submitted", "submitted", "2 giá trị (appraisal) từ tệp tep.xlsx", cast["admin"].pk),
        ("STP", "explanation", "explanation", "2 giá trị (final) từ tệp tep.xlsx", cast["admin"].pk),
    }  # SNV is a draft: history only


def test_an_input_the_engine_refuses_saves_nothing(history, cast):
    criteria = history
    sgddt, stp = (Assessment.objects.get(unit__code=code) for code in ("SGDDT", "STP"))
    before = _snapshot()
    entries = [
        BulkEntry(sgddt, Stage.SELF, criteria["1.2.2"], engine.LeafInput(points=D("1"))),
        BulkEntry(stp, Stage.SELF, criteria["1.2.2"], engine.LeafInput(points=D("1.75"))),  # above the maximum 1,5
        BulkEntry(stp, Stage.SELF, criteria["2.2"], engine.LeafInput(count=4)),
    ]
    result = values_save_many(entries=entries, user=cast["admin"], reason="tep.xlsx")
    assert list(result.errors) == [1]
    assert "vượt quá điểm tối đa" in result.errors[1].message
    assert _snapshot() == before


def test_it_locks_every_assessment_it_writes_in_a_bounded_number_of_queries(history, cast):
    rows = SELF_FILE
    with CaptureQueriesContext(connection) as queries:
        outcome = scores_import(source=xlsx_bytes(HEADERS, rows), year=2026, stage="self", user=cast["admin"], filename="tep.xlsx")
    assert outcome.changed_total == 13
    sql = [q["sql"] for q in queries]
    if connection.features.has_select_for_update:
        locks = [i for i, q in enumerate(sql) if "FOR UPDATE" in q]
        assert len(locks) == 1 and Assessment._meta.db_table in sql[locks[0]]
        values_read = next(i for i, q in enumerate(sql) if q.startswith("SELECT") and LeafValue._meta.db_table in q.split("FROM")[1])
        assert locks[0] < values_read  # the values compared are the ones under the lock
    # The file, the lock, the values, then one statement per kind of write, not one per row.
    assert len(sql) <= 16, "\n".join(q[:120] for q in sql)


@pytest.mark.django_db(transaction=True)
def test_a_page_save_waits_for_the_import_that_locked_the_sheet(assessment_a, so_set, cast, monkeypatch):
    """Two app servers: a save on the page while the import compares the file with the stored
    values waits for the import to commit, so neither overwrites the other unseen."""
    if not connection.features.has_select_for_update:
        pytest.skip("SQLite has one writer at a time and no row locks")
    import threading
    import time

    from django.utils import timezone

    criterion = so_set.criteria.get(code="1.2.2")
    comparing, order = threading.Event(), []
    now = timezone.now

    def slow_now():  # the import has locked and read the values; it takes its time to compare
        if threading.current_thread().name == "import":
            comparing.set()
            time.sleep(0.5)
        return now()

    monkeypatch.setattr(timezone, "now", slow_now)

    def import_file():
        try:
            with transaction.atomic():
                entry = BulkEntry(assessment_a, Stage.SELF, criterion, engine.LeafInput(points=D(1)), "")
                values_save_many(entries=[entry], user=cast["admin"], reason="tep.xlsx")
                order.append("import")
        finally:
            comparing.set()
            connection.close()

    def save_on_page():
        try:
            comparing.wait()
            values_save(assessment=assessment_a, stage=Stage.SELF, entries=[LeafEntry(criterion, engine.LeafInput(points=D("0.5")))], user=cast["staff_a"])
            order.append("page")
        finally:
            connection.close()

    threads = [threading.Thread(target=import_file, name="import"), threading.Thread(target=save_on_page, name="page")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order == ["import", "page"]
    history = [(c.changed_by_id, c.old_value, c.new_value) for c in ValueChange.objects.filter(field="points").order_by("pk")]
    assert history == [(cast["admin"].pk, "", "1"), (cast["staff_a"].pk, "1", "0.50")]

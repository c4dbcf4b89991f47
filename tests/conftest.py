"""The shared cast: Home Affairs, an appraiser of SO, an inspector, a viewer, staff and head of
unit A, staff of unit B (same group) and staff of a commune in another group, who should have
no access to anything of unit A's they are not entitled to."""

import os

import pytest

from accounts.models import Unit, UnitGroup, User
from criteria.services import criteria_set_import
from tests.xlsx import HANDWRITTEN, VI_HEADERS, xlsx_bytes

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "Matkhau@2026"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # PBKDF2's deliberate slowness protects real accounts; the test cast does not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests do not run collectstatic, so the hashed-name manifest of production does not exist.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def exact_rankings(settings):
    # Tests change figures and read the ranking back at once: no provisional snapshot in between
    # (tests/scoring/test_live_ranking.py turns it on). Nor a published ranking's rows remembered
    # from another test's database.
    settings.RANKING_LIVE_SECONDS = 0
    from scoring import ranking

    ranking._PUBLISHED_UNITS.clear()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def groups(db):
    return {
        "SO": UnitGroup.objects.create(code="SO", name="Sở, ban, ngành", position=1),
        "XA": UnitGroup.objects.create(code="XA", name="UBND xã, phường", position=2),
        "THPT": UnitGroup.objects.create(code="THPT", name="Trường THPT", position=3),
    }


@pytest.fixture
def units(groups):
    snv = Unit.objects.create(code="SNV", name="Sở Nội vụ", group=groups["SO"])
    a = Unit.objects.create(code="SGDDT", name="Sở Giáo dục và Đào tạo", group=groups["SO"])
    b = Unit.objects.create(code="STP", name="Sở Tư pháp", group=groups["SO"])
    x = Unit.objects.create(code="P_TANLAP", name="UBND phường Tân Lập", group=groups["XA"])
    school = Unit.objects.create(code="THPT_CVA", name="Trường THPT Chu Văn An", group=groups["THPT"], parent=a)
    return {"snv": snv, "a": a, "b": b, "x": x, "school": school}


def _user(username, unit=None, **roles):
    user = User(username=username, full_name=username.replace(".", " ").title(), unit=unit, **roles)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def cast(units, groups):
    appraiser = _user("thamdinh", units["snv"], is_appraiser=True)
    appraiser.appraised_groups.add(groups["SO"])
    return {
        "admin": _user("quantri", units["snv"], is_home_affairs=True, is_staff=True, is_superuser=True),
        "appraiser": appraiser,
        "inspector": _user("kiemtra", units["snv"], is_inspector=True),
        "viewer": _user("xem", None, is_viewer=True),
        "staff_a": _user("canbo.a", units["a"], is_unit_staff=True),
        "head_a": _user("lanhdao.a", units["a"], is_unit_head=True),
        "staff_b": _user("canbo.b", units["b"], is_unit_staff=True),
        "staff_x": _user("canbo.x", units["x"], is_unit_staff=True),
    }


@pytest.fixture
def so_set(groups):
    """The hand-written set, published, for group SO."""
    outcome = criteria_set_import(
        source=xlsx_bytes(VI_HEADERS, HANDWRITTEN), code="SO-2026", name="Bộ chỉ số sở 2026", year=2026, group=groups["SO"], publish=True
    )
    assert outcome.ok, outcome.errors
    return outcome.criteria_set


@pytest.fixture
def xa_draft(groups):
    outcome = criteria_set_import(
        source=xlsx_bytes(VI_HEADERS, HANDWRITTEN[:7]), code="XA-2026", name="Bộ chỉ số xã 2026 (dự thảo)", year=2026, group=groups["XA"]
    )
    assert outcome.ok, outcome.errors
    return outcome.criteria_set


@pytest.fixture
def login(client):
    def do(user):
        client.force_login(user)
        return client

    return do


@pytest.fixture
def round_so(so_set, units, cast):
    """The 2026 round of group SO, opened by Home Affairs: one assessment per SO unit."""
    from scoring.services import round_open

    return round_open(year=2026, group=so_set.group, criteria_set=so_set, user=cast["admin"])


@pytest.fixture
def assessment_a(round_so, units):
    return round_so.assessments.get(unit=units["a"])


@pytest.fixture
def assessment_b(round_so, units):
    return round_so.assessments.get(unit=units["b"])


@pytest.fixture
def plan(units, cast):
    """Home Affairs' 2026 inspection plan: areas from the criteria domains plus records management;
    a visit to unit A (SGDDT) with the inspector in its delegation, and a visit to unit B without him."""
    from inspections.models import ContentArea, DelegationMember, InspectionPlan, Visit

    p = InspectionPlan.objects.create(
        year=2026, organizer=units["snv"], title="Kế hoạch kiểm tra công tác CCHC năm 2026", decision_number="15/KH-SNV",
        purpose="Đánh giá việc thực hiện nhiệm vụ CCHC", created_by=cast["admin"],
    )
    ContentArea.objects.create(plan=p, code="1", title="Công tác chỉ đạo, điều hành CCHC", domain_code="1", position=1)
    ContentArea.objects.create(plan=p, code="2", title="Cải cách thủ tục hành chính", domain_code="2", position=2)
    ContentArea.objects.create(plan=p, code="VTLT", title="Công tác văn thư, lưu trữ", position=3)
    visit_a = Visit.objects.create(plan=p, unit=units["a"], planned_date="2026-10-13")
    DelegationMember.objects.create(visit=visit_a, user=cast["admin"], full_name="Nguyễn Thị Hoa", position_title="Phó Giám đốc Sở Nội vụ", agency="Sở Nội vụ", role="head", position=1)
    DelegationMember.objects.create(visit=visit_a, user=cast["inspector"], full_name="Lê Minh Châu", position_title="Chuyên viên", agency="Sở Nội vụ", role="member", position=2)
    DelegationMember.objects.create(visit=visit_a, full_name="Trần Thu", position_title="Chuyên viên", agency="Sở Nội vụ", role="secretary", position=3)
    Visit.objects.create(plan=p, unit=units["b"], planned_date="2026-10-20")
    return p


@pytest.fixture
def visit_a(plan, units):
    return plan.visits.get(unit=units["a"])


@pytest.fixture
def visit_b(plan, units):
    return plan.visits.get(unit=units["b"])


@pytest.fixture
def page_queries():
    """The SQL a page runs: `page_queries(client, url)` gets it (which must answer 200) and returns
    the statements, for tests that pin a page's query count or what it reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get(client, url: str) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return [query["sql"] for query in ctx.captured_queries]

    return get

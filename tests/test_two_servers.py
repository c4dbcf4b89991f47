"""Two app servers, one PostgreSQL (and Redis when it answers): 20 concurrent saves and
submissions of the same assessment, sent through both servers with sessions made on either.
Nothing is lost, nothing is applied twice, totals match the engine: row locks and conditional
updates, not luck. Runs only on PostgreSQL (CI's second pass); SQLite is one machine's file."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
GUNICORN = Path(sys.executable).with_name("gunicorn")
PASSWORD = "Matkhau@2026"

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")) or not GUNICORN.exists(),
    reason="needs DATABASE_URL on PostgreSQL and gunicorn",
)

SETUP = """
from accounts.models import Unit, UnitGroup, User
from criteria.services import criteria_set_import
from scoring.services import round_open
from tests.xlsx import HANDWRITTEN, VI_HEADERS, xlsx_bytes
group = UnitGroup.objects.create(code="SO", name="Sở, ban, ngành", position=1)
snv = Unit.objects.create(code="SNV", name="Sở Nội vụ", group=group)
unit = Unit.objects.create(code="SGDDT", name="Sở Giáo dục và Đào tạo", group=group)
def user(name, unit, **roles):
    u = User(username=name, full_name=name, unit=unit, **roles); u.set_password({password!r}); u.save(); return u
admin = user("quantri", snv, is_home_affairs=True)
user("canbo.a", unit, is_unit_staff=True)
user("lanhdao.a", unit, is_unit_head=True)
outcome = criteria_set_import(source=xlsx_bytes(VI_HEADERS, HANDWRITTEN), code="SO-2026", name="Bộ chỉ số sở 2026",
                              year=2026, group=group, publish=True)
assert outcome.ok, outcome.errors
round_ = round_open(year=2026, group=group, criteria_set=outcome.criteria_set, user=admin)
a = round_.assessments.get(unit=unit)
print(json.dumps({{"assessment": a.pk, "leaves": {{c.code: c.pk for c in a.round.criteria_set.criteria.all()}}}}))
"""

REPORT = """
from scoring.models import Assessment, AssessmentEvent, LeafValue, ValueChange
a = Assessment.objects.get(pk={pk})
submit = AssessmentEvent.objects.filter(assessment=a, action="submit")
history = ValueChange.objects.filter(assessment=a, stage="self", criterion__code="2.2", field="count").order_by("pk")
print(json.dumps({{
    "state": a.state,
    "submits": submit.count(),
    "history": [[c.old_value, c.new_value] for c in history],
    "changed_after_submit": ValueChange.objects.filter(assessment=a, changed_at__gt=submit.first().at).count() if submit else None,
    "count_2_2": LeafValue.objects.get(assessment=a, stage="self", criterion__code="2.2").count,
}}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_url() -> str:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/9"
    except OSError:
        pass
    return ""


def _manage_python(env: dict, code: str) -> str:
    script = "import json, django; django.setup()\n" + code
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import psycopg

    base = urllib.parse.urlsplit(DATABASE_URL)
    name = f"par_two_servers_{os.getpid()}"
    admin_url = base._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    tmp = tmp_path_factory.mktemp("two_servers")
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": base._replace(path=f"/{name}").geturl(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "two-servers-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(tmp / "media"),  # the shared folder both servers write to
        "STATIC_ROOT": str(tmp / "static"),
        "REDIS_URL": _redis_url(),
    }
    servers = []
    try:
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run([sys.executable, "manage.py", *command, "-v", "0"], cwd=ROOT, env=env, check=True, timeout=600)
        info = json.loads(_manage_python(env, SETUP.format(password=PASSWORD)))
        ports = [_free_port(), _free_port()]
        for port in ports:
            log = (tmp / f"gunicorn-{port}.log").open("w")
            servers.append(subprocess.Popen(
                [str(GUNICORN), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "4", "--timeout", "120"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            ))
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 180  # a loaded CI machine boots gunicorn slowly
        for url in bases:
            while True:
                try:
                    with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
                        assert json.load(response)["status"] == "ok"
                        break
                except (OSError, urllib.error.URLError):
                    if time.monotonic() > deadline:
                        raise AssertionError((tmp / f"gunicorn-{url.rsplit(':', 1)[1]}.log").read_text()[-3000:]) from None
                    time.sleep(0.3)
        yield {"bases": bases, "env": env, "tmp": tmp, **info}
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


class Browser:
    """A user agent with its own cookies; `base` picks the server of each request."""

    def __init__(self):
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, url: str, data: dict | None = None, referer: str = "") -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers={"Referer": referer or url})
        try:
            with self.opener.open(req, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def login(self, base: str, username: str) -> None:
        status, _ = self.request(base + "/dang-nhap/")
        assert status == 200
        status, _ = self.request(base + "/dang-nhap/", {"username": username, "password": PASSWORD})
        assert status == 302, "login failed"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _form(leaves: dict, values: dict) -> dict:
    data = {}
    for code, fields in values.items():
        prefix = f"c{leaves[code]}"
        data[f"{prefix}-present"] = "1"
        data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return data


COMPLETE = {
    "1.1.1": {"option": "Ban hành kịp thời", "note": "Kế hoạch 137/KH-SGDĐT"},
    "1.1.2": {"numerator": "11995", "denominator": "11999", "note": "Báo cáo"},
    "1.2.1": {"not_applicable": "on"},
    "1.2.2": {"points": "1,25", "note": "Báo cáo"},
    "2.1": {"numerator": "2299", "denominator": "2412", "note": "Số liệu iOffice"},
    "2.2": {"count": "5", "note": "Các quy chế"},
    "2.3": {"count": "1", "note": "QĐ kỷ luật"},
    "2.4": {"option": "Hoàn thành tốt", "note": "Báo cáo"},
    "B.1": {"option": "Giấy khen", "note": "QĐ khen"},
    "B.2": {"count": "0", "note": "Không có"},
    "P.1": {"count": "1", "note": "Văn bản phê bình"},
}


def test_concurrent_saves_and_submissions_through_two_servers(site):
    one, two = site["bases"]
    pk, leaves = site["assessment"], site["leaves"]
    # Sessions are in the database: a login on one server is valid on the other.
    staff, head = Browser(), Browser()
    staff.login(one, "canbo.a")
    head.login(two, "lanhdao.a")
    status, _ = staff.request(f"{two}/danh-gia/phieu/{pk}/luu/", _form(leaves, COMPLETE))
    assert status == 302

    # 16 saves of leaf 2.2 (count 1..16 → different values) and 4 submissions, spread over both servers.
    def work(i: int) -> tuple[str, int, int]:
        base = (one, two)[i % 2]
        if i % 5 == 4:
            return ("submit", i, head.request(f"{base}/danh-gia/phieu/{pk}/nop/", {})[0])
        count = i + 1
        values = {"2.2": {"count": str(count), "note": f"Lần lưu {count}"}}
        return ("save", count, staff.request(f"{base}/danh-gia/phieu/{pk}/luu/", _form(leaves, values))[0])

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(work, range(20)))

    # Every request answered: done (302) or refused because the sheet was already submitted (403).
    assert all(status in (302, 403) for _kind, _n, status in outcomes), outcomes
    assert all(status == 302 for kind, _n, status in outcomes if kind == "submit"), outcomes
    report = json.loads(_manage_python(site["env"], REPORT.format(pk=pk)))
    assert report["state"] == "submitted", (report, outcomes)
    assert report["submits"] == 1, report  # four submissions, one applied

    # No lost update: each history row starts from the value the previous one left, the last one is
    # what is stored, and every successful save that changed the value has exactly one row.
    history = report["history"]
    assert all(prev[1] == row[0] for prev, row in zip(history, history[1:], strict=False)), history
    assert history[-1][1] == str(report["count_2_2"]), report
    saved = [n for kind, n, status in outcomes if kind == "save" and status == 302]
    assert len(history) == 1 + len([n for n in saved if n != 5]), (report, outcomes)  # the first complete save set 5
    assert report["changed_after_submit"] == 0, (report, outcomes)  # a save that lost the race to the submission changed nothing

    # Totals as the engine computes them from the stored values: nothing half-applied.
    result = subprocess.run(
        [sys.executable, "manage.py", "recompute_scores", "--year", "2026", "--dry-run"],
        cwd=ROOT, env=site["env"], capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0 and "Không có thay đổi." in result.stdout, result.stdout + result.stderr

    # The page reached through either server shows the same submitted sheet.
    for base in (one, two):
        status, html = staff.request(f"{base}/danh-gia/phieu/{pk}/")
        assert status == 200 and re.search(r"state-submitted", html)

"""Locust users for the load test (run by loadtest/run.sh; see RESULTS.md for what it measures).

Two runs use this file:
- the realistic mix: `StaffUser` (unit staff, 4 in 5 users) and `ReaderUser` (viewer / Home Affairs,
  1 in 5) — open the unit's self-assessment, save one leaf and upload a small PDF to a leaf the way
  the page's scripts do (sheet.js, evidence.js: in place, answered in JSON, no page reload), open
  the ranking, download the ranking workbook;
- the reference: `TrivialUser` — the login page (GET), anonymous.

Every user logs in (or, for TrivialUser, is spawned) first; the measured window starts only when all
users are ready (statistics are reset then) and lasts LOADTEST_SECONDS; a ready user sends nothing
until then. So the expensive logins (PBKDF2) are timed apart and never mixed into the figures. Users have no think time (wait 0 unless
LOADTEST_WAIT="min,max" seconds is set): each sends its next request as soon as the previous one has
answered, so the server is saturated in both runs and the two throughputs compare its capacity.

Environment: LOADTEST_SECONDS (measured window, default 60), LOADTEST_ROUND (pk of the round whose
ranking is read), LOADTEST_STAFF (number of lt.canboNN accounts, default 50), LOADTEST_SUMMARY (path of
the JSON summary written on exit), LOADTEST_WAIT, LOADTEST_SERVER_PID (gunicorn's master: the CPU
time it and its workers use in the measured window is reported per request, a figure that varies less
than throughput on a shared machine).
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import time
import uuid

import gevent
from locust import FastHttpUser, between, constant, events, task
from locust.exception import StopUser

PASSWORD = "ChiSoCCHC@2026"
SECONDS = float(os.environ.get("LOADTEST_SECONDS", "60"))
ROUND = os.environ.get("LOADTEST_ROUND", "1")
STAFF_ACCOUNTS = int(os.environ.get("LOADTEST_STAFF", "50"))
SUMMARY = os.environ.get("LOADTEST_SUMMARY", "")
_wait = os.environ.get("LOADTEST_WAIT", "")
WAIT = between(*(float(x) for x in _wait.split(","))) if _wait else constant(0)
TIMEOUT = 60  # seconds; no request may hang the run
# What sheet.js and evidence.js send with a form posted in place: the answer is JSON, not a redirect.
IN_PLACE = {"Accept": "application/json", "X-Requested-With": "fetch"}

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIELD_RE = re.compile(r'name="c(\d+)-(points|option|numerator|denominator|count)"(?: value="([^"]*)")?')
POINTS_MAX_RE = re.compile(r"\(0 – ([0-9]+(?:,[0-9]+)?)\)<input[^>]*name=\"c(\d+)-points\"")
# The page writes the evidence forms once, in <template id="evidence-forms"> with __leaf__ where a
# leaf's id goes, and marks each leaf's slot; evidence.js fills them in the browser, as done here.
EVIDENCE_TEMPLATE_RE = re.compile(r'action="(/danh-gia/phieu/\d+/tieu-chi/__leaf__/tai-lieu/tai-len/)"')
EVIDENCE_SLOT_RE = re.compile(r'data-evidence-forms="(\d+)"')

_staff_numbers = itertools.count(1)
_reader_numbers = itertools.count(0)
SERVER_PID = os.environ.get("LOADTEST_SERVER_PID", "")
_state = {"ready": 0, "measuring": False, "started": None, "stopped": None, "logins": [], "cpu": [None, None]}


def _server_cpu() -> float | None:
    """Seconds of CPU used so far by gunicorn's master and its workers (Linux /proc), None elsewhere.
    A worker that exited (restarted by the master) is counted through the master's cutime/cstime."""
    if not SERVER_PID:
        return None
    try:
        pids = []
        for task_dir in os.listdir(f"/proc/{SERVER_PID}/task"):
            with open(f"/proc/{SERVER_PID}/task/{task_dir}/children") as handle:
                pids += handle.read().split()
        with open(f"/proc/{SERVER_PID}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
        ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime, stime, cutime, cstime
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:  # exited since the listing: its time is in the master's cutime/cstime now
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _csrf(text: str) -> str:
    match = CSRF_RE.search(text)
    if not match:
        raise ValueError("no csrfmiddlewaretoken on the page")
    return match.group(1)


def _answer(response) -> dict | None:
    """The JSON answer of a form sent in place, or None (and the request marked failed)."""
    if response.status_code != 200:
        response.failure(f"status {response.status_code}")
        return None
    try:
        data = response.json()
    except ValueError:
        response.failure(f"not JSON ({response.headers.get('Content-Type')})")
        return None
    if data.get("ok") is not True:
        response.failure(f"refused: {data.get('message')}")
        return None
    return data


def _tiny_pdf() -> bytes:
    """A small valid one-page PDF, different every time (the product stores a file once per assessment)."""
    text = f"Tai lieu kiem chung {uuid.uuid4().hex}"
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class _Base(FastHttpUser):
    """Users on locust's lighter client (geventhttpclient): it shares the machine's two cores with
    the server, and python-requests cost several times more CPU per request (RESULTS.md)."""

    abstract = True
    wait_time = WAIT
    network_timeout = connection_timeout = TIMEOUT

    def _ready(self) -> None:
        """Count this user ready, then wait until all are: no task runs while others still log in."""
        _state["ready"] += 1
        if _state["ready"] == self.environment.parsed_options.num_users and not _state["measuring"]:
            _start_measuring(self.environment)
        while not _state["measuring"]:
            gevent.sleep(0.05)

    def login(self, username: str) -> None:
        page = self.client.get("/dang-nhap/", name="login page (before measuring)")
        started = time.perf_counter()
        with self.client.post(
            "/dang-nhap/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page.text)},
            allow_redirects=False,
            name="login (before measuring)",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {username} refused ({response.status_code})")
                raise StopUser()
        _state["logins"].append((time.perf_counter() - started) * 1000)


class StaffUser(_Base):
    """Unit staff of one load-test unit (lt.canboNN): each user edits its own unit's assessment."""

    weight = 4

    def on_start(self) -> None:
        number = next(_staff_numbers)
        if number > STAFF_ACCOUNTS:
            raise RuntimeError(f"more staff users than LOADTEST_STAFF={STAFF_ACCOUNTS} accounts")
        self.login(f"lt.canbo{number:02d}")
        response = self.client.get(
            "/danh-gia/cua-don-vi/", allow_redirects=False, name="my assessment (redirect)"
        )
        self.page_path = response.headers["Location"]
        self.pk = int(re.search(r"/phieu/(\d+)/", self.page_path).group(1))
        self._read(self.client.get(self.page_path, name="self-assessment page").text)
        self._ready()

    def _read(self, text: str) -> None:
        """The leaves' input fields and the evidence forms of the page as it was last served."""
        fields: dict[int, dict[str, list[str]]] = {}
        for pk, kind, value in FIELD_RE.findall(text):
            fields.setdefault(int(pk), {}).setdefault(kind, []).append(value)
        for maximum, pk in POINTS_MAX_RE.findall(text):
            fields[int(pk)]["max"] = [maximum]
        self.leaves = fields
        template = EVIDENCE_TEMPLATE_RE.search(text)
        self.evidence_urls = (
            [template.group(1).replace("__leaf__", pk) for pk in EVIDENCE_SLOT_RE.findall(text)] if template else []
        )
        self.csrf = _csrf(text)
        if not self.leaves or not self.evidence_urls:
            raise ValueError("the self-assessment page shows no editable leaf")

    def _page(self) -> None:
        with self.client.get(
            self.page_path, name="self-assessment page", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            self._read(response.text)

    def _value(self, pk: int) -> dict[str, str]:
        kinds = self.leaves[pk]
        prefix = f"c{pk}"
        if "option" in kinds:
            return {f"{prefix}-option": html.unescape(random.choice(kinds["option"]))}
        if "numerator" in kinds:
            denominator = random.randint(20, 400)
            return {
                f"{prefix}-numerator": str(random.randint(denominator * 3 // 4, denominator)),
                f"{prefix}-denominator": str(denominator),
            }
        if "count" in kinds:
            return {f"{prefix}-count": str(random.randint(0, 2))}
        maximum = float(kinds.get("max", ["1"])[0].replace(",", "."))
        quarter = random.randint(0, int(maximum * 4))
        return {f"{prefix}-points": f"{quarter / 4:g}".replace(".", ",")}

    @task(4)
    def open_self_assessment(self) -> None:
        with self.client.get(
            "/danh-gia/cua-don-vi/",
            allow_redirects=False,
            name="my assessment (redirect)",
            catch_response=True,
        ) as response:
            if response.status_code != 302 or response.headers.get("Location") != self.page_path:
                response.failure(f"status {response.status_code}, to {response.headers.get('Location')}")
                return
        self._page()

    def _post_in_place(self, url: str, name: str, **body):
        """A form sent the way the page's scripts send it: answered in JSON, checked by the caller."""
        return self.client.post(
            url, headers=IN_PLACE, allow_redirects=False, name=name, catch_response=True, **body
        )

    @task(3)
    def save_leaf(self) -> None:
        """As “Lưu” does with JavaScript: only the changed leaf, answered in JSON with the new figures."""
        pk = random.choice(list(self.leaves))
        data = {"csrfmiddlewaretoken": self.csrf, "_stage": "self", f"c{pk}-present": "1", **self._value(pk)}
        with self._post_in_place(f"/danh-gia/phieu/{self.pk}/luu/", "save a leaf", data=data) as response:
            answer = _answer(response)
            if answer is not None and "total" not in answer:
                response.failure(f"no figures in the answer (value {data})")

    @task(1)
    def upload_evidence(self) -> None:
        """As evidence.js does: the leaf's evidence block comes back re-rendered, in JSON."""
        url = random.choice(self.evidence_urls)
        data = {"csrfmiddlewaretoken": self.csrf, "purpose": "self", "next": self.page_path}
        files = {"file": ("bien-ban-hop.pdf", _tiny_pdf(), "application/pdf")}
        with self._post_in_place(url, "upload evidence", data=data, files=files) as response:
            answer = _answer(response)
            if answer is not None and "bien-ban-hop.pdf" not in answer.get("html", ""):
                response.failure("the leaf's evidence does not list the file")


class ReaderUser(_Base):
    """The viewer and Home Affairs (alternately): the ranking page and its Excel export."""

    weight = 1

    def on_start(self) -> None:
        self.login(("ubnd.xem", "snv.quantri")[next(_reader_numbers) % 2])
        self._ready()

    def _get(self, path: str, name: str, kind: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200 or kind not in response.headers.get("Content-Type", ""):
                response.failure(f"status {response.status_code}, {response.headers.get('Content-Type')}")

    @task(3)
    def ranking(self) -> None:
        self._get(f"/danh-gia/ky/{ROUND}/xep-hang/", "ranking page", "text/html")

    @task(1)
    def ranking_excel(self) -> None:
        self._get(f"/danh-gia/ky/{ROUND}/xep-hang/excel/", "ranking Excel export", "spreadsheetml")


class TrivialUser(_Base):
    """The reference: the login page, anonymous (a template and a CSRF token, no query)."""

    weight = 1

    def on_start(self) -> None:
        self._ready()

    @task
    def login_page(self) -> None:
        with self.client.get(
            "/dang-nhap/", name="login page (trivial)", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


def _start_measuring(environment) -> None:
    """All users are ready: forget what came before and measure SECONDS from now, then stop."""
    _state["measuring"] = True
    environment.runner.stats.reset_all()
    _state["started"] = time.time()
    _state["cpu"][0] = _server_cpu()

    def stop() -> None:
        _state["stopped"] = time.time()
        _state["cpu"][1] = _server_cpu()
        environment.runner.quit()

    gevent.spawn_later(SECONDS, stop)


@events.quitting.add_listener
def _summary(environment, **_kwargs) -> None:
    stats = environment.runner.stats
    total = stats.total
    if not _state["measuring"]:
        result = {
            "error": f"only {_state['ready']} of {environment.parsed_options.num_users} users got ready in the time allowed"
        }
    else:
        seconds = (_state["stopped"] or time.time()) - _state["started"]

        def row(entry) -> dict:
            return {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": entry.get_response_time_percentile(0.5) if entry.num_requests else None,
                "p95_ms": entry.get_response_time_percentile(0.95) if entry.num_requests else None,
                "max_ms": round(entry.max_response_time) if entry.num_requests else None,
                "rps": round(entry.num_requests / seconds, 2),
            }

        logins = sorted(_state["logins"])
        before, after = _state["cpu"]
        cpu_ms = None
        if before is not None and after is not None and total.num_requests:
            cpu_ms = round((after - before) * 1000 / total.num_requests, 2)
        result = {
            "seconds": round(seconds, 1),
            "users": environment.parsed_options.num_users,
            **row(total),
            "server_cpu_ms_per_request": cpu_ms,
            "by_name": {
                name: row(entry) for (name, _method), entry in sorted(stats.entries.items()) if entry.num_requests
            },
            "errors": [f"{e.occurrences}× {e.method} {e.name}: {e.error}" for e in stats.errors.values()],
            "logins": {
                "count": len(logins),
                "p50_ms": round(logins[len(logins) // 2]) if logins else None,
                "max_ms": round(logins[-1]) if logins else None,
            },
        }
    if SUMMARY:
        with open(SUMMARY, "w", encoding="utf-8") as handle:
            json.dump(result, handle, ensure_ascii=False, indent=2)

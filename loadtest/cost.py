"""Server cost of each request of the load test's mix, in-process: `manage.py shell < loadtest/cost.py`.

Run on the load test's database after `bash loadtest/run.sh` (DATABASE_URL=…/loadtest_par, DEBUG=0,
ALLOWED_HOSTS=testserver, STATIC_ROOT=var/loadtest/static, a SECRET_KEY, a scratch MEDIA_ROOT: the
command is in RESULTS.md), it sends the mix's requests through Django's test client, as a unit's staff
and the viewer would, and prints for each the median CPU time of the process (the app's share;
PostgreSQL's own work is apart), the median wall time and the number of SQL queries.
COST_REPEAT (default 15) runs per request; COST_STAFF (default lt.canbo01) is the staff account
(each run uploads files to it, so its page grows); COST_PROFILE=<request name> prints that
request's cProfile instead (top 40 by cumulative time, or by COST_SORT, e.g. tottime;
COST_PROFILE_OUT=<file> also saves it).
What it shows is why the mix serves fewer requests per second than the login page (RESULTS.md).
"""

import cProfile
import os
import pstats
import re
import statistics
import time

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from scoring.models import Round

REPEAT = int(os.environ.get("COST_REPEAT", "15"))
# The load test's servers have Redis, hence the shared provisional-ranking snapshot (default 30 s);
# this process has none, so it is set as there unless RANKING_LIVE_SECONDS says otherwise.
if "RANKING_LIVE_SECONDS" not in os.environ:
    settings.RANKING_LIVE_SECONDS = 30
PROFILE = os.environ.get("COST_PROFILE", "")

staff, reader, anonymous = Client(), Client(), Client()
staff.force_login(User.objects.get(username=os.environ.get("COST_STAFF", "lt.canbo01")))
reader.force_login(User.objects.get(username="ubnd.xem"))
round_ = Round.objects.filter(group__code="SO").order_by("-year").first()
page = staff.get("/danh-gia/cua-don-vi/")["Location"]
pk = int(re.search(r"/phieu/(\d+)/", page).group(1))
html = staff.get(page).content.decode()
leaf = re.search(r'name="c(\d+)-points"', html).group(1)
evidence = re.search(r'action="(/danh-gia/phieu/\d+/tieu-chi/)__leaf__(/tai-lieu/tai-len/)"', html)
slot = re.search(r'data-evidence-forms="(\d+)"', html).group(1)
saves = iter(range(10**6))
IN_PLACE = {"HTTP_ACCEPT": "application/json", "HTTP_X_REQUESTED_WITH": "fetch"}  # as sheet.js, evidence.js and the mix


def save():
    return staff.post(
        f"/danh-gia/phieu/{pk}/luu/",
        {"_stage": "self", f"c{leaf}-present": "1", f"c{leaf}-points": str(next(saves) % 2)},
        **IN_PLACE,
    )


def upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile(
        "bien-ban.pdf", b"%PDF-1.4\n" + os.urandom(64).hex().encode() + b"\n%%EOF\n", "application/pdf"
    )
    return staff.post(
        evidence.group(1) + slot + evidence.group(2), {"purpose": "self", "next": page, "file": pdf}, **IN_PLACE
    )


REQUESTS = {
    "login page (reference)": lambda: anonymous.get("/dang-nhap/"),
    "my assessment (redirect)": lambda: staff.get("/danh-gia/cua-don-vi/"),
    "self-assessment page": lambda: staff.get(page),
    "save a leaf": save,
    "upload evidence": upload,
    "ranking page": lambda: reader.get(f"/danh-gia/ky/{round_.pk}/xep-hang/"),
    "ranking Excel export": lambda: reader.get(f"/danh-gia/ky/{round_.pk}/xep-hang/excel/"),
}

for name, send in REQUESTS.items():
    if PROFILE and name != PROFILE:
        continue
    send()  # warm: templates, translations, the criteria tree
    if PROFILE:
        profile = cProfile.Profile()
        profile.runcall(lambda send=send: [send() for _ in range(REPEAT)])
        pstats.Stats(profile).sort_stats(os.environ.get("COST_SORT", "cumulative")).print_stats(40)
        if os.environ.get("COST_PROFILE_OUT"):  # for a closer look: python -m pstats <file>
            profile.dump_stats(os.environ["COST_PROFILE_OUT"])
        continue
    cpu, wall = [], []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as queries:
            c0, w0 = time.process_time(), time.perf_counter()
            response = send()
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        assert response.status_code in (200, 302), (name, response.status_code)
    print(
        f"{name:28} cpu {statistics.median(cpu):6.1f} ms   wall {statistics.median(wall):6.1f} ms   {len(queries.captured_queries):3} queries"
    )

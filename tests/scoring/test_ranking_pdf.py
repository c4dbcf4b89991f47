"""The ranking report PDF: Decree 30 layout read back from the PDF itself with poppler-utils,
figures equal to the ranking's, access as the ranking page; the Vietnamese long date."""

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.pdf import vn_long_date
from scoring import charts, engine
from scoring.ranking import current, round_publish
from scoring.services import LeafEntry, values_save

POPPLER = all(shutil.which(tool) for tool in ("pdfinfo", "pdffonts", "pdftotext"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdfinfo, pdffonts, pdftotext) not installed")


# ---------------------------------------------------------------- helpers


def _poppler(tool: str, pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])], capture_output=True, text=True, check=True).stdout


def _text(pdf, tmp_path, first=None, last=None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    # poppler breaks lines as laid out; join them so a phrase split over two lines is still found
    return re.sub(r"\s+", " ", _poppler("pdftotext", pdf, tmp_path, *pages))


def _score(assessment, **points):
    """Self-assessment points of the manual leaf 1.2.2 and the per-item count of 2.2."""
    criteria = {c.code: c for c in assessment.round.criteria_set.criteria.all()}
    entries = [LeafEntry(criteria["1.2.2"], engine.LeafInput(points=Decimal(points["manual"])))]
    entries.append(LeafEntry(criteria["2.2"], engine.LeafInput(count=points["count"])))
    result = values_save(assessment=assessment, stage="self", entries=entries)
    assert not result.errors, result.errors


@pytest.fixture
def scored(round_so, assessment_a, assessment_b):
    _score(assessment_a, manual="1.5", count=3)  # 1,5 + 1,5
    _score(assessment_b, manual="0.5", count=1)  # 0,5 + 0,5
    return round_so


def _get(client, round_, stage="final"):
    return client.get(reverse("scoring:ranking_pdf", args=[round_.pk]), {"stage": stage})


# ---------------------------------------------------------------- the document


@needs_poppler
def test_pdf_is_a4_with_liberation_serif_embedded(login, cast, scored, tmp_path):
    response = _get(login(cast["admin"]), scored)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''xep-hang-SO-2026-final.pdf"
    pdf = response.content
    info = _poppler("pdfinfo", pdf, tmp_path)
    assert "(A4)" in info
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", _poppler("pdfinfo", pdf, tmp_path, "-f", "1", "-l", "99"))
    assert sizes[0] == ("595.276", "841.89")  # portrait A4 first
    assert ("841.89", "595.276") in sizes  # the per-domain annex on a landscape page
    fonts = [line.split() for line in _poppler("pdffonts", pdf, tmp_path).splitlines()[2:]]
    assert fonts, "no font in the PDF"
    for row in fonts:
        assert re.search(r"Liberation-?Serif", row[0]), row  # no fallback font anywhere
        assert row[-5] == "yes", row  # emb
    assert {re.sub(r"^[A-Z]{6}\+", "", row[0]) for row in fonts} >= {"Liberation-Serif", "Liberation-Serif-Bold", "Liberation-Serif-Italic"}


@needs_poppler
def test_pdf_text_gives_back_the_vietnamese_phrases_and_figures(login, cast, scored, tmp_path):
    pdf = _get(login(cast["admin"]), scored).content
    text = _text(pdf, tmp_path)
    for phrase in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UBND TỈNH HÒA BÌNH XANH",
        "SỞ NỘI VỤ",
        "Số: …/BC-SNV",
        "BÁO CÁO",
        "Kết quả xác định Chỉ số cải cách hành chính năm 2026 của Sở, ban, ngành",
        "KẾT QUẢ TẠM TÍNH — CHƯA CÔNG BỐ",
        "Sở Giáo dục và Đào tạo",
        "Sở Tư pháp",
        "Sở Nội vụ",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nơi nhận:",
        "- UBND tỉnh (để b/c);",
        "- Lưu: VT, CCHC.",
        "SO-2026",
    ):
        assert phrase in text, phrase
    assert f"Hòa Bình Xanh, {vn_long_date(timezone.localdate())}" in text

    ranking = current(scored)
    for unit in ranking.ordered("final"):
        points, maximum, index, rank, band = unit.figures("final")
        index_text = f"{index:.2f}".replace(".", ",")
        assert "," in index_text
        # one table row: code, name, self points, final points, maximum, index, band
        row = re.search(rf"{unit.unit_code} {re.escape(unit.unit_name)} (\S+) (\S+) (\S+) ({index_text}) {band}", text)
        assert row, (unit.unit_code, index_text)
        assert row.group(2) == f"{points:.2f}".replace(".", ",")  # a column of points: always two decimals
    a = ranking.for_unit(scored.assessments.get(unit__code="SGDDT").unit_id)
    assert a.index > 0  # the figures really come from the scores saved above


@needs_poppler
def test_page_numbers_from_page_two(login, cast, scored, tmp_path):
    pdf = _get(login(cast["admin"]), scored).content
    pages = int(re.search(r"Pages:\s+(\d+)", _poppler("pdfinfo", pdf, tmp_path)).group(1))
    assert pages >= 2
    first = _poppler("pdftotext", pdf, tmp_path, "-f", "1", "-l", "1")
    second = _poppler("pdftotext", pdf, tmp_path, "-f", "2", "-l", "2")
    assert first.split()[0] == "UBND"  # page 1 starts with the header, no number
    assert second.split()[0] == "2"  # page 2 starts with its number, in the top margin
    assert not re.match(r"\s*1\s*\n", first)


@needs_poppler
def test_published_report_shows_publication_not_provisional(login, cast, scored, tmp_path):
    round_publish(round_=scored, user=cast["admin"], decision_number="15/QĐ-UBND")
    pdf = _get(login(cast["admin"]), scored, stage="self").content
    text = _text(pdf, tmp_path)
    assert "TẠM TÍNH" not in text
    assert "Số: 15/QĐ-UBND" in text
    assert "công bố lần thứ 1" in text
    assert "điểm tự chấm" in text


def test_report_signer_name(scored):
    from core.pdf import render_pdf
    from scoring.views.reports import ranking_report_context

    context = ranking_report_context(current(scored), "final", signer_name="Nguyễn Văn An")
    assert context["doc_number"] == "…/BC-SNV"
    assert context["place"] == "Hòa Bình Xanh"
    assert render_pdf("documents/ranking_report.html", context).startswith(b"%PDF-")


@needs_poppler
def test_summary_band_counts_and_annex_of_sub_indexes_per_unit(login, cast, scored, tmp_path):
    pdf = _get(login(cast["admin"]), scored).content
    text = _text(pdf, tmp_path)
    ranking = current(scored)
    ordered = ranking.ordered("final")
    assert f"Chỉ số bình quân của {len(ordered)} đơn vị:" in text
    assert f"cao nhất: {ordered[0].unit_name}" in text
    assert "Xếp loại Số đơn vị Tỷ lệ (%)" in text
    assert "Số đơn vị theo khoảng chỉ số" not in text  # a small group: one bar per unit
    # the annex: one cell per domain, "index (rank in the domain)"
    unit = ordered[0]
    code = ranking.domains[0][0]
    figure = unit.domains[code]
    assert f"{figure.index:.2f}".replace(".", ",") + f" ({figure.rank})" in _text(pdf, tmp_path, first=3)
    assert "Chỉ số thành phần theo từng lĩnh vực của các đơn vị tại Phụ lục" in text


@needs_poppler
def test_a_large_group_gets_a_distribution_chart_and_the_domain_summary(login, cast, scored, tmp_path, monkeypatch):
    """Above the thresholds (800 schools), one chart of the distribution and of the first and last
    units instead of a bar per unit, and each domain's average, highest and lowest sub-index instead
    of a row per unit in the annex. Shown here with the thresholds lowered."""
    from scoring.views import reports

    monkeypatch.setattr(reports, "PER_UNIT_CHART_MAX", 2)
    monkeypatch.setattr(reports, "ANNEX_UNITS_MAX", 2)
    monkeypatch.setattr(reports, "TOP_UNITS", 1)
    pdf = _get(login(cast["admin"]), scored).content
    text = _text(pdf, tmp_path)
    ranking = current(scored)
    ordered = ranking.ordered("final")
    assert "Số đơn vị theo khoảng chỉ số" in text
    assert "1 đơn vị đứng đầu và 1 đơn vị cuối bảng" in text
    assert f"1. {ordered[0].unit_name}" in text and f"{ordered[-1].rank}. {ordered[-1].unit_name}" in text
    assert "Chỉ số bình quân (%) Chỉ số cao nhất (%) Chỉ số thấp nhất (%)" in text
    assert "trang tính “Chỉ số thành phần” của tệp Excel" in text
    code, title, _maximum = ranking.domains[0]
    values = [u.domains[code].index for u in ranking.units]
    mean = f"{sum(values) / len(values):.2f}".replace(".", ",")
    assert re.search(rf"{re.escape(title)} \S+ {len(values)} {mean} ", text), (title, mean)
    assert not re.search(r"\d,\d\d \(\d+\)", _text(pdf, tmp_path, first=3))  # no per-unit cell


@needs_poppler
def test_the_pdf_of_an_earlier_publication(login, cast, scored, tmp_path):
    """The ranking page links its PDF with ?cong-bo=N: the report is that publication's."""
    round_publish(round_=scored, user=cast["admin"], decision_number="15/QĐ-UBND")
    round_publish(round_=scored, user=cast["admin"], decision_number="16/QĐ-UBND")
    client = login(cast["admin"])
    first = client.get(reverse("scoring:ranking_pdf", args=[scored.pk]), {"cong-bo": "1"}).content
    assert "công bố lần thứ 1" in _text(first, tmp_path) and "Số: 15/QĐ-UBND" in _text(first, tmp_path)
    assert "công bố lần thứ 2" in _text(_get(client, scored).content, tmp_path)
    assert client.get(reverse("scoring:ranking_pdf", args=[scored.pk]), {"cong-bo": "9"}).status_code == 404


def test_rendering_pauses_the_cyclic_collector_and_turns_it_back_on(scored, monkeypatch):
    import gc

    import weasyprint

    from core.pdf import render_pdf
    from scoring.views.reports import ranking_report_context

    context = ranking_report_context(current(scored), "final")
    seen = []
    write_pdf = weasyprint.HTML.write_pdf

    def spy(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", spy)
    assert gc.isenabled()
    render_pdf("documents/ranking_report.html", context)
    assert seen == [False] and gc.isenabled()

    def broken(self, *args, **kwargs):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    with pytest.raises(RuntimeError):
        render_pdf("documents/ranking_report.html", context)
    assert gc.isenabled()


# ---------------------------------------------------------------- access


def test_unit_of_another_group_gets_404(login, cast, scored):
    assert _get(login(cast["staff_x"]), scored).status_code == 404


def test_unit_of_the_group_gets_403_before_publication_and_the_pdf_after(login, cast, scored):
    client = login(cast["staff_a"])
    assert _get(client, scored).status_code == 403
    round_publish(round_=scored, user=cast["admin"])
    response = _get(client, scored)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_viewer_and_appraiser_get_the_provisional_pdf(login, cast, scored):
    assert _get(login(cast["viewer"]), scored).status_code == 200
    assert _get(login(cast["appraiser"]), scored, stage="self")["Content-Disposition"].endswith("xep-hang-SO-2026-self.pdf")


def test_anonymous_is_sent_to_login(client, scored):
    response = _get(client, scored)
    assert response.status_code == 302
    assert "login" in response["Location"] or "dang-nhap" in response["Location"]


# ---------------------------------------------------------------- charts


def test_bar_chart_is_svg_text_in_liberation_serif(scored):
    svg = charts.ranking_bar_svg(current(scored))
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Liberation Serif" in svg
    assert "Sở Giáo dục và Đào tạo" in svg  # a real text, not glyph paths
    assert re.search(r">\d+,\d\d<", svg)  # values with a decimal comma
    assert "A ≥ 90" in svg  # a band threshold line and its label
    assert charts.svg_data_uri(svg).startswith("data:image/svg+xml;base64,")


def test_distribution_chart_counts_units_per_band_and_names_the_first_and_last(scored):
    import matplotlib.pyplot as plt

    ranking = current(scored)
    ordered = ranking.ordered("final")
    svg = charts.ranking_distribution_svg(ranking, top=1)
    assert "Liberation Serif" in svg and "Số đơn vị theo khoảng chỉ số" in svg
    bands = {}
    for unit in ordered:
        bands[unit.band] = bands.get(unit.band, 0) + 1
    for band, count in bands.items():
        assert f"{band}: {count} đơn vị (" in svg
    assert f"1. {ordered[0].unit_name}" in svg and f"{ordered[-1].rank}. {ordered[-1].unit_name}" in svg
    assert ordered[1].unit_name not in svg or len(ordered) == 2  # only the first and the last
    assert plt.get_fignums() == []


def test_radar_chart():
    svg = charts.radar_svg(
        ["Chỉ đạo, điều hành", "Thể chế", "Thủ tục hành chính"],
        {"Tự chấm": [Decimal(80), Decimal(90), Decimal("75.5")], "Sau thẩm định": [Decimal(70), Decimal(85), Decimal(70)]},
    )
    assert "Thủ tục hành chính" in svg and "Sau thẩm định" in svg
    with pytest.raises(ValueError):
        charts.radar_svg(["A", "B", "C"], {"Tự chấm": [Decimal(1)]})


def test_charts_leave_no_open_figure(scored):
    import matplotlib.pyplot as plt

    charts.ranking_bar_svg(current(scored))
    assert plt.get_fignums() == []


# ---------------------------------------------------------------- the long date of Decree 30


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (datetime.date(2026, 3, 5), "ngày 05 tháng 3 năm 2026"),  # months from 3 on: no leading zero
        (datetime.date(2026, 11, 15), "ngày 15 tháng 11 năm 2026"),
        (datetime.date(2026, 2, 1), "ngày 01 tháng 02 năm 2026"),
        (datetime.date(2026, 1, 31), "ngày 31 tháng 01 năm 2026"),
        (datetime.date(2026, 12, 9), "ngày 09 tháng 12 năm 2026"),
    ],
)
def test_vn_long_date(date, expected):
    assert vn_long_date(date) == expected

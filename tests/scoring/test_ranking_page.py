"""The ranking page writes its two tables in the view: every unit in both, figures formatted as the
|fixed2 filter formats them, names escaped; a unit finds its own row; long rankings get a search box."""

import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from accounts.models import Unit
from scoring import engine, ranking
from scoring.models import Stage
from scoring.services import LeafEntry, round_add_units, values_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(round_so, groups, cast):
    Unit.objects.create(code="SXD", name='Sở <b>Xây</b> & "Dựng"', group=groups["SO"])
    round_add_units(round_=round_so)
    assessment = round_so.assessments.get(unit__code="STP")
    criteria = {c.code: c for c in round_so.criteria_set.criteria.all()}
    values_save(
        assessment=assessment,
        stage=Stage.SELF,
        entries=[LeafEntry(criteria["1.1.1"], engine.LeafInput(option="Ban hành kịp thời")), LeafEntry(criteria["1.2.2"], engine.LeafInput(points=Decimal("1.25")))],
    )
    ranking.round_publish(round_=round_so)
    return round_so


def _tbody(html: str, table_id: str) -> str:
    return html.split(f'id="{table_id}"')[1].split("<tbody>")[1].split("</tbody>")[0]


def _get(client, round_, query=""):
    response = client.get(reverse("scoring:ranking", args=[round_.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("stage", ["final", "self"])
def test_it_lists_every_unit_in_both_tables_with_the_filters_formatting(published, login, cast, stage):
    html = _get(login(cast["admin"]), published, f"?stage={stage}")
    snapshot = ranking.current(published)
    fixed2 = Template("{% load par %}{{ v|fixed2 }}")
    rows = re.findall(r"<tr[^>]*>.*?</tr>", _tbody(html, "ranking-table"))
    assert len(rows) == len(snapshot.units) == 4
    for row, unit in zip(rows, snapshot.ordered(stage), strict=True):
        points, maximum, index, rank, band = unit.figures(stage)
        cells = [fixed2.render(Context({"v": v})) for v in (unit.self_total, unit.total, maximum, index)]
        assert f'<td class="num">{rank}</td><td><code>{unit.unit_code}</code></td>' in row
        assert "".join(f'<td class="num">{c}</td>' for c in cells) + f"<td>{band}</td>" in row
    domain_rows = re.findall(r"<tr[^>]*>.*?</tr>", _tbody(html, "domain-table"))
    assert len(domain_rows) == 4 and all(row.count('<td class="num">') == len(snapshot.domains) for row in domain_rows)
    stp = snapshot.for_unit(Unit.objects.get(code="STP").pk)
    first = next(iter(stp.domains.values()))
    assert f"{fixed2.render(Context({'v': first.index}))} <span class=\"muted\">({first.rank})</span>" in html


def test_names_are_escaped(published, login, cast):
    html = _get(login(cast["admin"]), published)
    assert "<b>Xây</b>" not in html
    assert html.count("Sở &lt;b&gt;Xây&lt;/b&gt; &amp; &quot;Dựng&quot;") >= 2  # both tables (the chart writes its own)


def test_readers_get_a_link_to_every_units_result(published, login, cast):
    html = _get(login(cast["viewer"]), published)
    for code in ("SNV", "SGDDT", "STP", "SXD"):
        assert f'<a href="{reverse("scoring:unit_result", args=[published.pk, code])}">' in html


def test_a_unit_finds_its_own_row_and_result(published, login, cast):
    html = _get(login(cast["staff_a"]), published)
    own = ranking.current(published).for_unit(cast["staff_a"].unit_id)
    assert f'<tr class="own" id="u-SGDDT"><td class="num">{own.rank}</td>' in html
    assert html.count('class="own"') == 2  # its row in both tables
    assert 'href="#u-SGDDT"' in html and f'href="{reverse("scoring:unit_result", args=[published.pk, "SGDDT"])}"' in html
    assert f'href="{reverse("scoring:unit_result", args=[published.pk, "STP"])}"' not in html
    assert "Đơn vị của bạn" not in _get(login(cast["viewer"]), published)  # no unit of the group


def test_a_long_ranking_gets_a_search_box(published, login, cast, groups):
    client = login(cast["admin"])
    assert "data-filter-rows" not in _get(client, published)
    for i in range(20):
        Unit.objects.create(code=f"X{i:02}", name=f"Đơn vị {i}", group=groups["SO"])
    round_add_units(round_=published)
    ranking.round_publish(round_=published)
    html = _get(client, published)
    assert 'data-filter-rows="#ranking-table, #domain-table"' in html and "js/ranking.js" in html
    assert len(re.findall(r"<tr[^>]*>", _tbody(html, "ranking-table"))) == 24


def test_the_chart_is_named_in_the_page_language(published, login, cast):
    client = login(cast["admin"])
    assert 'role="img" aria-label="Chỉ số (%)"' in _get(client, published)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert 'role="img" aria-label="Index (%)"' in _get(client, published)


def test_a_published_rankings_rows_are_read_once_per_process(published, login, cast, page_queries):
    """On the day results are out every reader opens the page: the frozen rows are read from the
    database for the first view only; a second publication is read afresh."""
    client = login(cast["viewer"])

    def results_queries() -> int:
        url = reverse("scoring:ranking", args=[published.pk])
        return sum('"scoring_publishedresult"' in sql for sql in page_queries(client, url))

    assert results_queries() == 1
    assert results_queries() == 0
    stp = published.assessments.get(unit__code="STP")
    leaf = published.criteria_set.criteria.get(code="1.2.2")
    values_save(assessment=stp, stage=Stage.SELF, entries=[LeafEntry(leaf, engine.LeafInput(points=Decimal("0.5")))])
    ranking.round_publish(round_=published)
    assert results_queries() == 1  # the new publication's rows
    row = _tbody(_get(client, published), "ranking-table").split('id="u-STP"')[1].split("</tr>")[0]
    # STP's points in the second publication (1 + 0,5), not the first's (1 + 1,25)
    assert '<td class="num">1,50</td>' in row and "2,25" not in row


def test_a_publications_editable_fields_are_read_with_it(published):
    publication = ranking.latest_publication(published)
    ranking.current(published, with_leaves=False)
    publication.decision_number = "45/QĐ-UBND"
    publication.save(update_fields=["decision_number"])
    assert ranking.current(published, with_leaves=False).publication.decision_number == "45/QĐ-UBND"

"""Ranking within a unit group and classification bands."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from scoring.engine import (
    DEFAULT_BANDS,
    ClassBand,
    RuleError,
    TieRule,
    classify,
    format_bands,
    parse_bands,
    rank,
)


@pytest.fixture(autouse=True)
def _vietnamese():
    with translation.override("vi"):
        yield


TIED = [("a", D("91.5")), ("b", D("88")), ("c", D("88.00")), ("d", D("70"))]


@pytest.mark.parametrize(
    ("items", "tie_rule", "expected"),
    [
        (TIED, TieRule.COMPETITION, {"a": 1, "b": 2, "c": 2, "d": 4}),
        (TIED, TieRule.DENSE, {"a": 1, "b": 2, "c": 2, "d": 3}),
        (list(reversed(TIED)), TieRule.COMPETITION, {"a": 1, "b": 2, "c": 2, "d": 4}),
        ([("x", D(80)), ("y", D(80)), ("z", D(80))], TieRule.COMPETITION, {"x": 1, "y": 1, "z": 1}),
        ([("x", D(80)), ("y", D(80)), ("z", D(80))], TieRule.DENSE, {"x": 1, "y": 1, "z": 1}),
        ([], TieRule.COMPETITION, {}),
        ([("only", D(0))], TieRule.DENSE, {"only": 1}),
        (
            [(1, D(50)), (2, D(60)), (3, D(60)), (4, D(60)), (5, D(10))],
            TieRule.COMPETITION,
            {2: 1, 3: 1, 4: 1, 1: 4, 5: 5},
        ),
        (
            [(1, D(50)), (2, D(60)), (3, D(60)), (4, D(60)), (5, D(10))],
            TieRule.DENSE,
            {2: 1, 3: 1, 4: 1, 1: 2, 5: 3},
        ),
    ],
)
def test_rank(items, tie_rule, expected):
    assert rank(items, tie_rule) == expected


def test_rank_default_is_competition():
    assert rank(TIED) == {"a": 1, "b": 2, "c": 2, "d": 4}


def test_default_bands():
    assert parse_bands(DEFAULT_BANDS) == (
        ClassBand("A", ">=", D(90)),
        ClassBand("B", ">=", D(80)),
        ClassBand("C", ">=", D(70)),
        ClassBand("D", None, None),
    )
    assert parse_bands("") == parse_bands(DEFAULT_BANDS)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (D(100), "A"),
        (D(90), "A"),
        (D("90.00"), "A"),
        (D("89.99"), "B"),
        (D(80), "B"),
        (D("79.99"), "C"),
        (D(70), "C"),
        (D("69.99"), "D"),
        (D(0), "D"),
    ],
)
def test_classify_default(index, expected):
    assert classify(index, parse_bands(DEFAULT_BANDS)) == expected
    assert classify(index, DEFAULT_BANDS) == expected


WORDS = "Tốt > 80; Khá ≥ 70; Trung bình >= 49,5%; Yếu"


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (D("80.01"), "Tốt"),
        (D(80), "Khá"),
        (D(70), "Khá"),
        (D("69.99"), "Trung bình"),
        (D("49.5"), "Trung bình"),
        (D("49.49"), "Yếu"),
    ],
)
def test_classify_words_and_strict_operator(index, expected):
    assert classify(index, parse_bands(WORDS)) == expected


@pytest.mark.parametrize(
    "text",
    [DEFAULT_BANDS, WORDS, "Loại 1 >= 90; Loại 2 > 75,25; Loại 3", "Đạt>=50;Không đạt"],
)
def test_format_bands_round_trips(text):
    bands = parse_bands(text)
    canonical = format_bands(bands)
    assert parse_bands(canonical) == bands
    assert format_bands(parse_bands(canonical)) == canonical


def test_format_bands_canonical_text():
    assert format_bands(parse_bands(" A ≥ 90 ; B>=80;C >= 70 ; D ")) == DEFAULT_BANDS
    assert format_bands(parse_bands(WORDS)) == "Tốt>80;Khá>=70;Trung bình>=49,5;Yếu"
    assert parse_bands("Loại 1 >= 90; Loại 2")[0] == ClassBand("Loại 1", ">=", D(90))


@pytest.mark.parametrize(
    "text",
    [
        "A>=80;B>=90;C",  # increasing
        "A>=90;B>=90;C",  # not strictly decreasing
        "A>=90;B>=80;C>=70",  # last band has a threshold
        "A>=90;B;C",  # a middle band without threshold
        "A<=90;B",  # bad operator
        "A=>90;B",
        "A>=abc;B",
        "A>=150;B",
        "A>=90;a",  # duplicate label
        "A",  # a single band
        "A>=90;B>=80,555;C",
    ],
)
def test_parse_bands_errors(text):
    with pytest.raises(RuleError) as exc:
        parse_bands(text)
    assert exc.value.field == "bands"
    assert exc.value.message

"""Structural checks of a whole criteria tree."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from scoring.engine import Kind, Method, Node, TreeProblem, check_tree, parent_code, parse_rule


@pytest.fixture(autouse=True)
def _vietnamese():
    with translation.override("vi"):
        yield


@pytest.mark.parametrize(
    ("code", "expected"),
    [("1", None), ("I", None), ("1.1", "1"), ("1.1.2", "1.1"), ("I.B1.3", "I.B1"), (" 2.4 ", "2")],
)
def test_parent_code(code, expected):
    assert parent_code(code) == expected


def group(code, max_points, kind=Kind.SCORE, method=None):
    return Node(code, parent_code(code), kind, D(max_points), method)


def manual(code, max_points, kind=Kind.SCORE):
    return Node(code, parent_code(code), kind, D(max_points), Method.MANUAL, parse_rule(Method.MANUAL, None, D(1)))


def good_tree():
    return [
        group("1", 5),
        group("1.1", 3),
        manual("1.1.1", "1.5"),
        manual("1.1.2", "1.5"),
        manual("1.2", 2),
        group("2", 3, Kind.BONUS),  # a cap, not a sum: children may exceed it
        manual("2.1", 2, Kind.BONUS),
        manual("2.2", 2, Kind.BONUS),
        group("3", 1, Kind.PENALTY),
        manual("3.1", 5, Kind.PENALTY),
    ]


def test_good_tree_has_no_problem():
    assert check_tree(good_tree()) == []
    assert check_tree(list(reversed(good_tree()))) == []


def test_max_differs_from_children_sum():
    nodes = good_tree()
    nodes[1] = group("1.1", "3.5")
    problems = check_tree(nodes)
    assert problems == [
        TreeProblem("1", "max_points", "Điểm tối đa (5) khác tổng điểm tối đa của các tiêu chí con (5,5)."),
        TreeProblem("1.1", "max_points", "Điểm tối đa (3,5) khác tổng điểm tối đa của các tiêu chí con (3)."),
    ]


def test_missing_parent():
    problems = check_tree([*good_tree(), manual("7.1", 1)])
    assert [(p.code, p.field) for p in problems] == [("7.1", "parent")]
    assert "7" in problems[0].message


def test_leaf_without_method_and_parent_with_method():
    nodes = good_tree()
    nodes[4] = group("1.2", 2)  # leaf, no method
    nodes[1] = group("1.1", 3, method=Method.MANUAL)  # has children
    problems = check_tree(nodes)
    assert [(p.code, p.field) for p in problems] == [("1.1", "method"), ("1.2", "method")]


def test_leaf_needing_a_rule_without_one():
    problems = check_tree([group("1", 1), Node("1.1", "1", Kind.SCORE, D(1), Method.CHOICE)])
    assert [(p.code, p.field) for p in problems] == [("1.1", "rule")]


def test_duplicate_code():
    problems = check_tree([*good_tree(), manual("1.2", 2)])
    assert [(p.code, p.field) for p in problems] == [("1.2", "code")]


def test_cycle_is_reported_not_looped_forever():
    nodes = [Node("a", "b", Kind.SCORE, D(1), Method.MANUAL), Node("b", "a", Kind.SCORE, D(1))]
    problems = check_tree(nodes)
    assert {(p.code, p.field) for p in problems} == {("a", "parent"), ("b", "parent")}

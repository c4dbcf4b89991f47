"""Checks of a whole criteria tree, run when a criteria set is imported or edited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .rules import format_points
from .types import Kind, Method, Node

# Methods whose leaves cannot be scored without a parsed rule.
_RULE_METHODS = (Method.CHOICE, Method.BANDS, Method.PER_ITEM, Method.DEDUCTION)


def parent_code(code: str) -> str | None:
    """ "1.1.2" -> "1.1"; a code without a dot is a domain and has no parent."""
    code = code.strip()
    if "." not in code:
        return None
    return code.rsplit(".", 1)[0]


@dataclass
class TreeProblem:
    code: str
    field: str
    message: str


def _domain_of(node: Node, by_code: dict[str, Node]) -> Node | None:
    """Walk up to the domain; None when a parent is missing or the chain loops."""
    seen: set[str] = set()
    current = node
    while current.parent is not None:
        if current.code in seen:
            return None
        seen.add(current.code)
        parent = by_code.get(current.parent)
        if parent is None:
            return None
        current = parent
    return current


def check_tree(nodes: Sequence[Node]) -> list[TreeProblem]:
    """Every structural problem of a tree, in the order the nodes were given."""
    problems: list[TreeProblem] = []
    by_code: dict[str, Node] = {}
    for node in nodes:
        if node.code in by_code:
            problems.append(TreeProblem(node.code, "code", _("Mã tiêu chí %(code)s bị trùng.") % {"code": node.code}))
        else:
            by_code[node.code] = node
    children: dict[str, list[Node]] = {}
    for node in by_code.values():
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node)

    for node in nodes:
        if by_code.get(node.code) is not node:
            continue  # a duplicate, already reported
        kids = children.get(node.code, [])
        if node.max_points < 0:
            problems.append(
                TreeProblem(node.code, "max_points", _("Điểm tối đa phải là số không âm, tối đa 2 chữ số thập phân."))
            )
        if node.parent is not None and node.parent not in by_code:
            problems.append(
                TreeProblem(
                    node.code,
                    "parent",
                    _("Không tìm thấy tiêu chí cha %(parent)s của tiêu chí %(code)s.")
                    % {"parent": node.parent, "code": node.code},
                )
            )
            continue
        domain = _domain_of(node, by_code)
        if domain is None and node.parent is not None:
            problems.append(
                TreeProblem(
                    node.code, "parent", _("Tiêu chí %(code)s nằm trong một vòng lặp cha – con.") % {"code": node.code}
                )
            )
            continue
        if kids and node.method is not None:
            problems.append(
                TreeProblem(node.code, "method", _("Tiêu chí có tiêu chí con không được có phương pháp chấm."))
            )
        if not kids:
            if node.method is None:
                problems.append(
                    TreeProblem(node.code, "method", _("Tiêu chí không có tiêu chí con phải có phương pháp chấm."))
                )
            elif node.method in _RULE_METHODS and node.rule is None:
                problems.append(TreeProblem(node.code, "rule", _("Tiêu chí chưa có quy tắc chấm điểm.")))
        if kids and domain is not None and domain.kind is Kind.SCORE:
            total = sum((kid.max_points for kid in kids), Decimal(0))
            if total != node.max_points:
                problems.append(
                    TreeProblem(
                        node.code,
                        "max_points",
                        _("Điểm tối đa (%(max)s) khác tổng điểm tối đa của các tiêu chí con (%(sum)s).")
                        % {"max": format_points(node.max_points), "sum": format_points(total)},
                    )
                )
    return problems

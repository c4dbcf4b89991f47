"""The criteria tree as the pages show it: nodes in order with their depth and rule in words."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import CriteriaSet, Criterion


@dataclass
class TreeNode:
    criterion: Criterion
    rule_text: str
    children: list[TreeNode] = field(default_factory=list)


def build_tree(criteria_set: CriteriaSet) -> list[TreeNode]:
    """Domains with nested children, in one query."""
    nodes: dict[int, TreeNode] = {}
    roots: list[TreeNode] = []
    for criterion in criteria_set.criteria.order_by("position"):
        node = TreeNode(criterion, criterion.describe_rule())
        nodes[criterion.pk] = node
        if criterion.parent_id is None:
            roots.append(node)
        else:
            nodes[criterion.parent_id].children.append(node)
    return roots

"""The scoring engine: pure functions from criteria and inputs to points.

No database access here; see types.py for the data that goes in and out.
"""

from .compute import (
    InputError,
    Tree,
    compute_tree,
    domain_index,
    index_of,
    leaf_points,
    rollup_domains,
    round_half_up,
)
from .ranking import DEFAULT_BANDS, ClassBand, classify, format_bands, parse_bands, rank
from .rules import (
    KIND_LABELS,
    METHOD_LABELS,
    RuleError,
    describe_rule,
    format_points,
    parse_decimal,
    parse_kind,
    parse_method,
    parse_rule,
)
from .tree import TreeProblem, check_tree, parent_code
from .types import (
    Band,
    ChoiceOption,
    Kind,
    LeafInput,
    LeafResult,
    Method,
    Node,
    Rule,
    TieRule,
    TreeResult,
)

__all__ = [
    "DEFAULT_BANDS",
    "KIND_LABELS",
    "METHOD_LABELS",
    "Band",
    "ChoiceOption",
    "ClassBand",
    "InputError",
    "Kind",
    "LeafInput",
    "LeafResult",
    "Method",
    "Node",
    "Rule",
    "RuleError",
    "TieRule",
    "Tree",
    "TreeProblem",
    "TreeResult",
    "check_tree",
    "classify",
    "compute_tree",
    "describe_rule",
    "domain_index",
    "format_bands",
    "format_points",
    "index_of",
    "leaf_points",
    "parent_code",
    "parse_bands",
    "parse_decimal",
    "parse_kind",
    "parse_method",
    "parse_rule",
    "rank",
    "rollup_domains",
    "round_half_up",
]

"""Points of one leaf and of a whole criteria tree.

Rates are compared as exact fractions: 11995/11999 must not be rounded to
99,97% before it is compared with a threshold, or a unit just under 95% could
be pushed over it. Only the final points are rounded, half-up, to 2 decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from .rules import CENT, format_points, normalize_text, round_half_up
from .types import Kind, LeafInput, LeafResult, Method, Node, Rule, TreeResult

__all__ = [
    "InputError",
    "Tree",
    "compute_tree",
    "domain_index",
    "index_of",
    "leaf_points",
    "rollup_domains",
    "round_half_up",
]

ZERO = Decimal("0.00")
HUNDRED = Decimal("100.00")


class InputError(ValueError):
    """A value entered for a leaf that its method cannot accept."""

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


# Exact numbers are kept as (numerator, denominator) integer pairs: it is the
# same arithmetic as fractions.Fraction, several times faster, and this runs
# for every leaf of every unit.


def _exact(value: object, field: str) -> tuple[int, int]:
    """An entered number as an exact ratio of ints, denominator > 0."""
    if isinstance(value, bool):
        raise InputError(_("Giá trị nhập vào không phải là số."), field)
    if isinstance(value, int):
        return value, 1
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    try:
        if isinstance(value, float):
            value = Decimal(repr(value))  # 0.5 stays 0.5, not its binary expansion
        elif isinstance(value, str):
            value = Decimal(value.replace("\u00a0", "").replace(" ", "").replace(",", "."))
        if isinstance(value, Decimal):
            return value.as_integer_ratio()
    except (ArithmeticError, ValueError):
        pass
    raise InputError(_("Giá trị nhập vào không phải là số."), field)


def _cents(p: int, q: int) -> Decimal:
    """p / q (p >= 0, q > 0) rounded half-up to 2 decimals."""
    return Decimal((200 * p + q) // (2 * q)).scaleb(-2)


def _two_places(value: tuple[int, int], field: str) -> None:
    if (value[0] * 100) % value[1]:
        # Translated only on failure: gettext is not free on the hot path.
        message = (
            _("Điểm chỉ được có tối đa 2 chữ số thập phân.")
            if field == "points"
            else _("Tỷ lệ chỉ được có tối đa 2 chữ số thập phân.")
        )
        raise InputError(message, field)


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InputError(_("Số lượng phải là số nguyên không âm."), "count")
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise InputError(_("Số lượng phải là số nguyên không âm."), "count")
        value = int(value)
    if value < 0:
        raise InputError(_("Số lượng phải là số nguyên không âm."), "count")
    return value


def _ratio(inp: LeafInput) -> tuple[int, int] | None:
    """The exact rate in percent as (p, q), or None when neither part was entered."""
    if inp.numerator is None and inp.denominator is None:
        return None
    if inp.denominator is None:
        raise InputError(_("Cần nhập cả tử số và mẫu số."), "denominator")
    if inp.numerator is None:
        raise InputError(_("Cần nhập cả tử số và mẫu số."), "numerator")
    a, b = _exact(inp.numerator, "numerator")
    c, e = _exact(inp.denominator, "denominator")
    if c <= 0:
        raise InputError(_("Mẫu số phải lớn hơn 0."), "denominator")
    if a < 0:
        raise InputError(_("Tử số không được âm."), "numerator")
    if a * e > c * b:
        raise InputError(_("Tử số không được lớn hơn mẫu số."), "numerator")
    # (a/b) / (c/e) × 100
    return a * e * 100, b * c


def _band_points(rule: Rule, p: int, q: int) -> Decimal:
    for band in rule.bands:
        t1, t2 = band.threshold.as_integer_ratio()
        # p/q against t1/t2 without dividing: both denominators are positive.
        left, right = p * t2, t1 * q
        if left > right or (left == right and band.op != ">"):
            return band.points
    return rule.else_points if rule.else_points is not None else ZERO


def _need_rule(node: Node) -> None:
    if node.rule is None or node.rule.method is not node.method:
        raise InputError(_("Tiêu chí chưa có quy tắc chấm điểm."), "rule")


def leaf_points(node: Node, inp: LeafInput | None) -> LeafResult:
    """Validate what was entered for a leaf and return its points.

    `points` is None when nothing was entered for the leaf's method; callers
    count that as 0 while keeping the leaf in the maximum.
    """
    method = node.method
    if method is None:
        raise InputError(_("Tiêu chí có tiêu chí con không được chấm trực tiếp."), "method")
    if inp is None:
        return LeafResult(points=None)
    if inp.not_applicable:
        if not node.allow_na:
            raise InputError(_("Tiêu chí này không được khai báo không áp dụng."), "not_applicable")
        return LeafResult(points=None, applicable=False)
    maximum = node.max_points

    if method is Method.MANUAL:
        if inp.points is None:
            return LeafResult(points=None)
        value = _exact(inp.points, "points")
        if value[0] < 0:
            raise InputError(_("Điểm không được âm."), "points")
        _two_places(value, "points")
        m1, m2 = maximum.as_integer_ratio()
        if value[0] * m2 > m1 * value[1]:
            raise InputError(_("Điểm vượt quá điểm tối đa (%(max)s).") % {"max": format_points(maximum)}, "points")
        return LeafResult(points=_cents(*value))

    if method is Method.CHOICE:
        if inp.option is None or not str(inp.option).strip():
            return LeafResult(points=None)
        _need_rule(node)
        key = normalize_text(str(inp.option))
        for option in node.rule.options:  # type: ignore[union-attr]
            if normalize_text(option.label) == key:
                return LeafResult(points=option.points)
        raise InputError(_("Lựa chọn không có trong quy tắc: %(option)s.") % {"option": inp.option}, "option")

    if method is Method.BANDS or method is Method.PROPORTIONAL:
        ratio = _ratio(inp)
        if ratio is None:
            return LeafResult(points=None)
        p, q = ratio
        if method is Method.BANDS:
            _need_rule(node)
            points = _band_points(node.rule, p, q)  # type: ignore[arg-type]
        else:
            m1, m2 = maximum.as_integer_ratio()
            points = _cents(m1 * p, m2 * q * 100)
        return LeafResult(points=points, rate=_cents(p, q))

    if method is Method.PER_ITEM or method is Method.DEDUCTION:
        if inp.count is None:
            return LeafResult(points=None)
        count = _count(inp.count)
        _need_rule(node)
        spent = count * node.rule.unit_points  # type: ignore[union-attr, operator]
        if method is Method.PER_ITEM:
            points = min(maximum, spent)
        else:
            points = max(Decimal(0), maximum - spent)
        return LeafResult(points=points.quantize(CENT))

    if method is Method.SURVEY:
        if inp.rate is None:
            return LeafResult(points=None)
        a, b = _exact(inp.rate, "rate")
        if a < 0 or a > 100 * b:
            raise InputError(_("Tỷ lệ phải từ 0 đến 100."), "rate")
        _two_places((a, b), "rate")
        m1, m2 = maximum.as_integer_ratio()
        return LeafResult(points=_cents(m1 * a, m2 * b * 100), rate=_cents(a, b))

    raise InputError(_("Phương pháp chấm không hợp lệ."), "method")  # pragma: no cover


class Tree:
    """A criteria tree prepared once and reused for every unit.

    Building it sorts the nodes children-first and finds each node's domain,
    so `compute_tree` only walks flat lists.
    """

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes: dict[str, Node] = {}
        for node in nodes:
            if node.code in self.nodes:
                raise ValueError(f"duplicate criterion code {node.code!r}")
            self.nodes[node.code] = node
        self.children: dict[str, list[str]] = {code: [] for code in self.nodes}
        domains: list[str] = []
        for node in self.nodes.values():
            if node.parent is None:
                domains.append(node.code)
            elif node.parent in self.nodes:
                self.children[node.parent].append(node.code)
            else:
                raise ValueError(f"criterion {node.code!r}: parent {node.parent!r} not found")
        self.domains: tuple[str, ...] = tuple(domains)
        self.domain_of: dict[str, str] = {}
        order: list[str] = []
        for domain in domains:
            stack: list[tuple[str, bool]] = [(domain, False)]
            while stack:
                code, expanded = stack.pop()
                if expanded:
                    order.append(code)
                    continue
                self.domain_of[code] = domain
                stack.append((code, True))
                stack.extend((child, False) for child in reversed(self.children[code]))
        if len(order) != len(self.nodes):
            raise ValueError("criteria tree has a cycle")
        # Children before parents: one pass sums every node.
        self.order: tuple[str, ...] = tuple(order)
        self.leaves: tuple[str, ...] = tuple(c for c in order if not self.children[c])
        self.kind_of: dict[str, Kind] = {c: self.nodes[d].kind for c, d in self.domain_of.items()}


def index_of(total: Decimal, maximum: Decimal) -> Decimal:
    """round(total / maximum × 100), never above 100; 0 when there is no maximum."""
    if maximum <= 0:
        return ZERO
    if total <= 0:
        return ZERO
    # Integer arithmetic on the exact ratios: a ranking takes thousands of these.
    p1, q1 = total.as_integer_ratio()
    p2, q2 = maximum.as_integer_ratio()
    return min(HUNDRED, _cents(p1 * q2 * 100, q1 * p2))


def domain_index(result: TreeResult, code: str) -> Decimal:
    return index_of(result.points.get(code, ZERO), result.max_points.get(code, ZERO))


def compute_tree(
    nodes: Sequence[Node] | Tree,
    inputs: Mapping[str, LeafInput],
    *,
    include_survey: bool = True,
    known: dict | None = None,
) -> TreeResult:
    """Points, maxima, total and index of one unit on one criteria tree.

    With include_survey=False (the self-scoring stage) survey leaves are left
    out of both the points and the maximum. `known`: a dict shared by the computations of one
    unit's stages, which mostly read the same inputs (before the appraisal all of them): each leaf's
    result for an input is worked out once and looked up after.
    """
    tree = nodes if isinstance(nodes, Tree) else Tree(nodes)
    result = TreeResult()
    points = result.points
    max_points = result.max_points
    children = tree.children
    for code in tree.order:
        node = tree.nodes[code]
        kids = children[code]
        if kids:
            points[code] = sum((points[k] for k in kids if k in points), ZERO)
            max_points[code] = sum((max_points[k] for k in kids if k in max_points), ZERO)
            continue
        is_survey = node.method is Method.SURVEY
        if is_survey and not include_survey:
            continue
        inp = inputs.get(code)
        key = (code, _input_key(inp)) if known is not None else None
        leaf = known.get(key) if key is not None else None
        if leaf is None:
            try:
                leaf = leaf_points(node, inp)
            except InputError as exc:
                exc.code = code
                raise
            if key is not None:
                known[key] = leaf
        result.leaves[code] = leaf
        if leaf.applicable:
            points[code] = leaf.points if leaf.points is not None else ZERO
            max_points[code] = node.max_points
        else:
            points[code] = ZERO
            max_points[code] = ZERO
        if not is_survey:
            if leaf.points is None and leaf.applicable:
                result.to_enter += 1
            else:
                result.entered += 1

    return rollup_domains(tree, result)


def _input_key(inp: LeafInput | None) -> tuple | None:
    if inp is None:
        return None
    # Every field: the same figures with another exponent (1.5, 1.50) are the same input; the types
    # of the two a caller could pass as a bool, which leaf_points refuses although True == 1.
    return (
        inp.not_applicable, inp.points, type(inp.points), inp.option, inp.numerator, inp.denominator,
        inp.count, type(inp.count), inp.rate,
    )  # fmt: skip


def rollup_domains(tree: Tree, result: TreeResult) -> TreeResult:
    """From each domain's summed points and applicable maximum to the unit's total and index.

    `result.points` / `result.max_points` must hold every domain's sums; bonus and penalty domains
    are capped at their maximum here. compute_tree ends with this, and a ranking that sums stored
    leaf points itself calls it directly, so both apply the same caps and the same index.
    """
    points = result.points
    max_points = result.max_points
    score = bonus = penalty = maximum = ZERO
    for domain in tree.domains:
        node = tree.nodes[domain]
        if node.kind is Kind.SCORE:
            score += points[domain]
            maximum += max_points[domain]
            continue
        # A bonus or penalty domain's maximum caps its sum.
        capped = min(points[domain], node.max_points)
        points[domain] = capped
        max_points[domain] = node.max_points
        if node.kind is Kind.BONUS:
            bonus += capped
        else:
            penalty += capped
    result.score_points = score
    result.bonus = bonus
    result.penalty = penalty
    result.total = max(ZERO, score + bonus - penalty)
    result.maximum = maximum
    result.index = index_of(result.total, maximum)
    return result

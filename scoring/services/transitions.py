"""Submission, appraisal, explanation and finalisation: one function per step of the workflow."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import Criterion
from scoring import engine

from .. import calculation, workflow
from ..models import Assessment, Explanation, LeafEvidence, Stage, ValueChange
from .errors import ScoringError
from .values import LeafEntry, SaveResult, values_save

# ---------------------------------------------------------------- self-assessment and submission


def unit_can_edit(assessment: Assessment, today: dt.date | None = None) -> bool:
    return assessment.state == Assessment.State.DRAFT and not assessment.self_deadline_passed(today)


def missing_for_submission(assessment: Assessment) -> list[str]:
    """What stops the head from submitting: leaves without a value, or without evidence and explanation."""
    tree, grouped = calculation.load(assessment)
    with_evidence = set(
        LeafEvidence.objects.filter(assessment=assessment, purpose=LeafEvidence.Purpose.SELF).values_list(
            "criterion__code", flat=True
        )
    )
    problems = []
    for criterion in assessment.round.criteria_set.criteria.exclude(method="").order_by("position"):
        if criterion.method == engine.Method.SURVEY:
            continue
        value = grouped.get(criterion.code, calculation.LeafValues()).self
        label = f"{criterion.code}. {criterion.title}"
        if value is None or not value.has_value():
            problems.append(_("%(leaf)s: chưa chấm điểm.") % {"leaf": label})
        elif not value.not_applicable and criterion.code not in with_evidence and not value.note.strip():
            problems.append(_("%(leaf)s: chưa có tài liệu kiểm chứng hoặc giải trình.") % {"leaf": label})
    return problems


def assessment_submit(*, assessment: Assessment, user, today: dt.date | None = None) -> Assessment:
    if assessment.self_deadline_passed(today):
        raise ScoringError(_("Đã quá hạn tự chấm; liên hệ Sở Nội vụ để được mở lại."))
    problems = missing_for_submission(assessment)
    if problems:
        raise ScoringError(_("Chưa thể nộp: còn %(n)s tiêu chí chưa đủ.") % {"n": len(problems)}, problems)
    try:
        return workflow.apply(assessment, "submit", user=user, submitted_at=timezone.now())
    except workflow.TransitionError as exc:
        raise ScoringError(exc.message) from exc


def assessment_reopen(*, assessment: Assessment, user, reason: str, until: dt.date | None = None) -> Assessment:
    if not reason.strip():
        raise ScoringError(_("Cần ghi lý do mở lại."))
    try:
        return workflow.apply(assessment, "reopen", user=user, note=reason.strip(), reopened_until=until)
    except workflow.TransitionError as exc:
        raise ScoringError(exc.message) from exc


# ---------------------------------------------------------------- appraisal, explanation, final


def appraisal_accept_self(*, assessment: Assessment, user) -> SaveResult:
    """Copy the self value into the appraisal for every leaf the appraiser has not touched."""
    touched = set(assessment.values.filter(stage=Stage.APPRAISAL).values_list("criterion_id", flat=True))
    entries = [
        LeafEntry(v.criterion, v.as_input())
        for v in assessment.values.filter(stage=Stage.SELF)
        .select_related("criterion")
        .exclude(criterion_id__in=touched)
    ]
    return values_save(
        assessment=assessment, stage=Stage.APPRAISAL, entries=entries, user=user, reason=_("Chấp nhận điểm tự chấm")
    )


def missing_appraisal(assessment: Assessment, stage: str = Stage.APPRAISAL) -> list[str]:
    have = set(assessment.values.filter(stage=stage).values_list("criterion_id", flat=True))
    if stage == Stage.FINAL:
        have |= set(assessment.values.filter(stage=Stage.APPRAISAL).values_list("criterion_id", flat=True))
    return [
        f"{c.code}. {c.title}"
        for c in assessment.round.criteria_set.criteria.exclude(method="")
        .exclude(method=engine.Method.SURVEY)
        .order_by("position")
        if c.pk not in have
    ]


def _transition(assessment: Assessment, action: str, user, note: str = "", **changes) -> Assessment:
    try:
        return workflow.apply(assessment, action, user=user, note=note, **changes)
    except workflow.TransitionError as exc:
        raise ScoringError(exc.message) from exc


def assessment_complete_appraisal(*, assessment: Assessment, user) -> Assessment:
    missing = missing_appraisal(assessment)
    if missing:
        raise ScoringError(_("Chưa thể hoàn thành: %(n)s tiêu chí chưa được thẩm định.") % {"n": len(missing)}, missing)
    return _transition(assessment, "complete_appraisal", user)


def disputed_codes(assessment: Assessment) -> list[str]:
    """Leaves whose preliminary appraisal differs from the self value: the unit may explain them."""
    tree, grouped = calculation.load(assessment)
    codes = []
    for code, leaf in grouped.items():
        if leaf.appraisal is None or leaf.self is None:
            continue
        node = tree.nodes[code]
        if (
            engine.leaf_points(node, leaf.appraisal.as_input()).points
            != engine.leaf_points(node, leaf.self.as_input()).points
            or leaf.appraisal.not_applicable != leaf.self.not_applicable
        ):
            codes.append(code)
    order = {c: i for i, c in enumerate(tree.nodes)}
    return sorted(codes, key=order.get)


def assessment_send_preliminary(*, assessment: Assessment, user) -> Assessment:
    return _transition(assessment, "send_preliminary", user)


def explanation_save(*, assessment: Assessment, criterion: Criterion, text: str, user) -> Explanation:
    if assessment.state != Assessment.State.EXPLANATION or assessment.round.explanation_deadline_passed():
        raise ScoringError(_("Đã hết thời gian giải trình."))
    text = text.strip()
    if not text:
        raise ScoringError(_("Nội dung giải trình không được để trống."))
    with transaction.atomic():
        explanation, _created = Explanation.objects.select_for_update().get_or_create(
            assessment=assessment, criterion=criterion, defaults={"text": text, "updated_by": user}
        )
        if explanation.text != text:
            ValueChange.objects.create(
                assessment=assessment,
                criterion=criterion,
                stage=Stage.APPRAISAL,
                field="explanation",
                old_value=explanation.text,
                new_value=text,
                changed_by=user,
                reason=_("Giải trình"),
            )
            explanation.text, explanation.updated_by, explanation.updated_at = text, user, timezone.now()
            explanation.save()
        elif _created:
            ValueChange.objects.create(
                assessment=assessment,
                criterion=criterion,
                stage=Stage.APPRAISAL,
                field="explanation",
                new_value=text,
                changed_by=user,
                reason=_("Giải trình"),
            )
    return explanation


def assessment_submit_explanation(*, assessment: Assessment, user) -> Assessment:
    if assessment.round.explanation_deadline_passed():
        raise ScoringError(_("Đã hết thời gian giải trình."))
    return _transition(assessment, "submit_explanation", user)


def assessment_finalize(*, assessment: Assessment, user) -> Assessment:
    if assessment.state == Assessment.State.EXPLANATION and not assessment.round.explanation_deadline_passed():
        raise ScoringError(_("Đơn vị chưa gửi giải trình và chưa hết hạn giải trình."))
    return _transition(assessment, "finalize", user)

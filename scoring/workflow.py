"""The assessment's workflow: one table of allowed transitions, one function that applies them.

A transition is a conditional update (`WHERE state IN allowed`), so a replayed or concurrent POST
changes nothing the second time, and every transition writes an event row.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Assessment, AssessmentEvent

S = Assessment.State

# action -> (states it may start from, state it leads to, label)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "submit": (frozenset({S.DRAFT}), S.SUBMITTED, gettext_lazy("Nộp kết quả tự chấm")),
    "reopen": (frozenset({S.SUBMITTED, S.APPRAISED}), S.DRAFT, gettext_lazy("Mở lại cho đơn vị sửa")),
    "complete_appraisal": (frozenset({S.SUBMITTED}), S.APPRAISED, gettext_lazy("Hoàn thành thẩm định sơ bộ")),
    "reopen_appraisal": (frozenset({S.APPRAISED}), S.SUBMITTED, gettext_lazy("Mở lại thẩm định sơ bộ")),
    "send_preliminary": (frozenset({S.APPRAISED}), S.EXPLANATION, gettext_lazy("Gửi kết quả sơ bộ cho đơn vị giải trình")),
    "submit_explanation": (frozenset({S.EXPLANATION}), S.EXPLAINED, gettext_lazy("Gửi giải trình")),
    "finalize": (frozenset({S.EXPLANATION, S.EXPLAINED}), S.FINALIZED, gettext_lazy("Chốt kết quả thẩm định cuối cùng")),
    "reopen_final": (frozenset({S.FINALIZED}), S.EXPLAINED, gettext_lazy("Mở lại thẩm định lại")),
}


class TransitionError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def allowed(assessment: Assessment, action: str) -> bool:
    return assessment.state in TRANSITIONS[action][0]


@transaction.atomic
def apply(assessment: Assessment, action: str, *, user, note: str = "", **changes) -> Assessment:
    sources, target, _label = TRANSITIONS[action]
    previous = assessment.state
    updated = Assessment.objects.filter(pk=assessment.pk, state__in=sources).update(state=target, **changes)
    if not updated:
        assessment.refresh_from_db(fields=["state"])
        raise TransitionError(
            _("Không thể thực hiện: phiếu đang ở trạng thái “%(state)s”.") % {"state": assessment.get_state_display()}
        )
    AssessmentEvent.objects.create(
        assessment=assessment, actor=user, at=timezone.now(), from_state=previous, to_state=target, action=action, note=note
    )
    assessment.state = target
    for key, value in changes.items():
        setattr(assessment, key, value)
    return assessment

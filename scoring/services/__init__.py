"""Operations of the yearly round that touch several rows (HackSoft style: <entity>_<action>), a module
per part of the round; callers import them from here."""

from .bulk_values import BulkEntry, BulkSaveResult, values_save_many
from .errors import ScoringError
from .rounds import round_add_units, round_open
from .transitions import (
    appraisal_accept_self,
    assessment_complete_appraisal,
    assessment_finalize,
    assessment_reopen,
    assessment_send_preliminary,
    assessment_submit,
    assessment_submit_explanation,
    disputed_codes,
    explanation_save,
    missing_appraisal,
    missing_for_submission,
    unit_can_edit,
)
from .values import LeafEntry, SaveResult, values_save

__all__ = [
    "BulkEntry",
    "BulkSaveResult",
    "LeafEntry",
    "SaveResult",
    "ScoringError",
    "appraisal_accept_self",
    "assessment_complete_appraisal",
    "assessment_finalize",
    "assessment_reopen",
    "assessment_send_preliminary",
    "assessment_submit",
    "assessment_submit_explanation",
    "disputed_codes",
    "explanation_save",
    "missing_appraisal",
    "missing_for_submission",
    "round_add_units",
    "round_open",
    "unit_can_edit",
    "values_save",
    "values_save_many",
]

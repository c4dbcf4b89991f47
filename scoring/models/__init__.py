from .assessment import Assessment, AssessmentEvent, Round
from .evidence import EvidenceFile, Explanation, LeafEvidence
from .values import LeafValue, Stage, ValueChange

__all__ = [
    "Assessment",
    "AssessmentEvent",
    "EvidenceFile",
    "Explanation",
    "LeafEvidence",
    "LeafValue",
    "Round",
    "Stage",
    "ValueChange",
]

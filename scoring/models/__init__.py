from .assessment import Assessment, AssessmentEvent, Round
from .evidence import EvidenceFile, Explanation, LeafEvidence
from .ranking import Publication, PublishedResult
from .values import LeafValue, Stage, ValueChange

__all__ = [
    "Assessment",
    "AssessmentEvent",
    "EvidenceFile",
    "Explanation",
    "LeafEvidence",
    "LeafValue",
    "Publication",
    "PublishedResult",
    "Round",
    "Stage",
    "ValueChange",
]

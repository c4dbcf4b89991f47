from .documents import InspectionDocument
from .findings import ActionAttachment, ActionEvent, Finding, FindingAttachment, RemedialAction
from .plans import ContentArea, DelegationMember, InspectionPlan, Visit, VisitCheck

__all__ = [
    "ActionAttachment",
    "ActionEvent",
    "ContentArea",
    "DelegationMember",
    "Finding",
    "FindingAttachment",
    "InspectionDocument",
    "InspectionPlan",
    "RemedialAction",
    "Visit",
    "VisitCheck",
]

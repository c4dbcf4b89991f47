from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    # Inspection plans, visits, findings, remedial actions and documents (see the inspections issue).
    name = "inspections"
    verbose_name = _("Kiểm tra CCHC")

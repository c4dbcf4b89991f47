from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import UnitGroup
from criteria.models import CriteriaSet
from scoring import engine

from .models import Round

DATE_HELP = _("dd/mm/yyyy")


class RoundOpenForm(forms.Form):
    year = forms.IntegerField(label=_("Năm đánh giá"), min_value=2000, max_value=2100)
    group = forms.ModelChoiceField(label=_("Nhóm đơn vị"), queryset=UnitGroup.objects.all(), to_field_name="code")
    criteria_set = forms.ModelChoiceField(
        label=_("Bộ tiêu chí (đã ban hành)"), queryset=CriteriaSet.objects.published().select_related("group")
    )
    self_deadline = forms.DateField(label=_("Hạn tự chấm"), required=False, help_text=DATE_HELP)
    appraisal_deadline = forms.DateField(label=_("Hạn thẩm định"), required=False, help_text=DATE_HELP)
    explanation_deadline = forms.DateField(label=_("Hạn giải trình"), required=False, help_text=DATE_HELP)
    final_deadline = forms.DateField(label=_("Hạn thẩm định lại"), required=False, help_text=DATE_HELP)
    bands = forms.CharField(label=_("Xếp loại"), initial=engine.DEFAULT_BANDS, help_text=_("Ví dụ: A>=90;B>=80;C>=70;D"))
    tie_rule = forms.ChoiceField(label=_("Đồng hạng"), choices=Round.TieRule.choices, initial=Round.TieRule.COMPETITION)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year

    def clean_bands(self):
        try:
            return engine.format_bands(engine.parse_bands(self.cleaned_data["bands"]))
        except engine.RuleError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self):
        data = super().clean()
        cs, group = data.get("criteria_set"), data.get("group")
        if cs and group and cs.group_id != group.pk:
            self.add_error("criteria_set", _("Bộ tiêu chí này dành cho nhóm %(group)s.") % {"group": cs.group.code})
        order = ["self_deadline", "appraisal_deadline", "explanation_deadline", "final_deadline"]
        dates = [(name, data.get(name)) for name in order if data.get(name)]
        for (first, d1), (second, d2) in zip(dates, dates[1:], strict=False):
            if d2 < d1:
                self.add_error(second, _("Hạn này phải sau %(other)s.") % {"other": self.fields[first].label.lower()})
        return data

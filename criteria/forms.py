from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import XlsxUploadForm
from accounts.models import UnitGroup


class CriteriaImportForm(XlsxUploadForm):
    code = forms.CharField(label=_("Mã bộ tiêu chí"), max_length=40, help_text=_("Ví dụ: SO-2026. Mã đã có và đã ban hành sẽ được tạo phiên bản mới."))
    name = forms.CharField(label=_("Tên bộ tiêu chí"), max_length=300)
    year = forms.IntegerField(label=_("Năm đánh giá"), min_value=2000, max_value=2100)
    group = forms.ModelChoiceField(label=_("Nhóm đơn vị"), queryset=UnitGroup.objects.all(), to_field_name="code")
    decision_number = forms.CharField(label=_("Số quyết định"), max_length=60, required=False)
    decision_date = forms.DateField(label=_("Ngày quyết định"), required=False, help_text=_("dd/mm/yyyy"))
    decision_issuer = forms.CharField(label=_("Cơ quan ban hành"), max_length=200, required=False)
    publish = forms.BooleanField(label=_("Ban hành ngay sau khi nhập"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        self.order_fields(["file", "code", "name", "year", "group"])

    def clean_code(self):
        return self.cleaned_data["code"].strip()


class CloneForm(forms.Form):
    code = forms.CharField(label=_("Mã bộ tiêu chí năm sau"), max_length=40)

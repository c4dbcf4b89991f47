from django import forms
from django.utils.translation import gettext_lazy as _

from .models import UnitGroup

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class XlsxUploadForm(forms.Form):
    file = forms.FileField(label=_("Tệp Excel (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("Tệp lớn hơn 10 MB."))
        head = upload.read(4)
        upload.seek(0)
        if head != b"PK\x03\x04":  # every .xlsx is a zip archive
            raise forms.ValidationError(_("Tệp không phải là tệp Excel .xlsx hợp lệ."))
        return upload


class UnitFilterForm(forms.Form):
    q = forms.CharField(label=_("Tìm đơn vị"), required=False)
    group = forms.ModelChoiceField(
        label=_("Nhóm"), queryset=UnitGroup.objects.all(), required=False, empty_label=_("Tất cả nhóm"), to_field_name="code"
    )

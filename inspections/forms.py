"""Forms of the inspection plan and of the visit on site. Dates are typed dd/mm/yyyy."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit, UnitGroup, User
from criteria.models import CriteriaSet

from .models import DelegationMember, Finding, InspectionPlan
from .services.plans import PLAN_FIELDS

DATE_HELP = _("dd/mm/yyyy")
# Photos from the camera, plus the document types scoring.evidence.check_upload accepts.
FILE_ACCEPT = "image/*,.jpg,.jpeg,.png,.pdf,.doc,.docx,.xls,.xlsx"
FREE_AREA_SUGGESTIONS = [
    _("Công tác văn thư, lưu trữ"),
    _("Văn hóa công vụ"),
    _("Kỷ luật, kỷ cương hành chính"),
    _("Kiểm soát thủ tục hành chính"),
    _("Thực hiện cơ chế một cửa, một cửa liên thông"),
    _("Hệ thống quản lý chất lượng ISO 9001"),
    _("Thực hiện ý kiến chỉ đạo của lãnh đạo tỉnh"),
]


class DateInput(forms.DateInput):
    def __init__(self, attrs=None):
        super().__init__(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off", **(attrs or {})}, format="%d/%m/%Y")


class PlanForm(forms.ModelForm):
    class Meta:
        model = InspectionPlan
        fields = PLAN_FIELDS
        widgets = {
            "decision_date": DateInput(),
            "purpose": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"decision_date": DATE_HELP, "remedial_days": _("Hạn báo cáo khắc phục tính từ ngày thông báo kết luận.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizer"].queryset = Unit.objects.filter(is_active=True).select_related("group")
        self.fields["year"].min_value = 2000
        self.fields["year"].widget.attrs.update({"min": 2000, "max": 2100})
        if not self.instance.pk:
            self.fields["year"].initial = timezone.localdate().year
        self.fields["remedial_days"].widget.attrs.update({"min": 1, "max": 365})

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not 2000 <= year <= 2100:
            raise forms.ValidationError(_("Năm phải từ 2000 đến 2100."))
        return year

    def clean_remedial_days(self):
        days = self.cleaned_data["remedial_days"]
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("Số ngày khắc phục phải từ 1 đến 365."))
        return days


class AreaForm(forms.Form):
    code = forms.CharField(label=_("Mã"), max_length=20, required=False, help_text=_("Để trống: hệ thống đặt A, B, C…"))
    title = forms.CharField(label=_("Nội dung kiểm tra"), max_length=300, widget=forms.TextInput(attrs={"list": "area-suggestions"}))


class AreasFromSetForm(forms.Form):
    criteria_set = forms.ModelChoiceField(label=_("Bộ tiêu chí đã ban hành"), queryset=CriteriaSet.objects.none())

    def __init__(self, *args, year: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        sets = CriteriaSet.objects.published().select_related("group").order_by("-year", "group__position", "code", "-version")
        self.fields["criteria_set"].queryset = sets
        if year:
            first = sets.filter(year=year).first()
            if first:
                self.fields["criteria_set"].initial = first.pk


class UnitsPickForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(
        label=_("Tất cả đơn vị của nhóm"), queryset=UnitGroup.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    parents = forms.ModelMultipleChoiceField(
        label=_("Tất cả đơn vị trực thuộc của"), queryset=Unit.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Hoặc chọn từng đơn vị"), queryset=Unit.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    planned_date = forms.DateField(label=_("Ngày dự kiến"), required=False, widget=DateInput(), help_text=DATE_HELP)

    def __init__(self, *args, plan: InspectionPlan, **kwargs):
        super().__init__(*args, **kwargs)
        active = Unit.objects.filter(is_active=True)
        self.fields["parents"].queryset = active.filter(children__is_active=True).distinct().order_by("code")
        self.fields["units"].queryset = active.exclude(inspection_visits__plan=plan).select_related("group")
        self.plan = plan

    def clean(self):
        data = super().clean()
        active = Unit.objects.filter(is_active=True)
        chosen = active.filter(
            Q(pk__in=[u.pk for u in data.get("units") or []])
            | Q(group__in=data.get("groups") or [])
            | Q(parent__in=data.get("parents") or [])
        ) if (data.get("units") or data.get("groups") or data.get("parents")) else active.none()
        data["chosen"] = list(chosen.distinct())
        if not data["chosen"] and not self.errors:
            raise forms.ValidationError(_("Chưa chọn đơn vị nào: chọn một nhóm, một đơn vị cấp trên hoặc từng đơn vị."))
        return data


def delegation_users():
    return User.objects.filter(is_active=True).filter(Q(is_inspector=True) | Q(is_home_affairs=True)).select_related("unit")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        label = obj.get_full_name()
        return f"{label} ({obj.username})" + (f" – {obj.unit.name}" if obj.unit_id else "")


class MemberForm(forms.Form):
    user = UserChoiceField(label=_("Tài khoản"), queryset=User.objects.none(), required=False, empty_label=_("(không có tài khoản)"))
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150, required=False)
    position_title = forms.CharField(label=_("Chức vụ"), max_length=150, required=False)
    agency = forms.CharField(label=_("Cơ quan"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Vai trò"), choices=DelegationMember.Role.choices, initial=DelegationMember.Role.MEMBER)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = delegation_users()

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not data.get("user") and not (data.get("full_name") or "").strip()

    def clean(self):
        data = super().clean()
        user = data.get("user")
        if user and not (data.get("full_name") or "").strip():
            data["full_name"] = user.get_full_name()
        if user and not (data.get("position_title") or "").strip():
            data["position_title"] = user.position_title
        if user and not (data.get("agency") or "").strip() and user.unit_id:
            data["agency"] = user.unit.name
        return data


class BaseMemberFormSet(forms.BaseFormSet):
    def members(self) -> list[dict]:
        return [
            f.cleaned_data
            for f in self.forms
            if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE") and not f.is_blank()
        ]

    def clean(self):
        if any(self.errors):
            return
        heads = sum(1 for m in self.members() if m.get("role") == DelegationMember.Role.HEAD)
        if heads != 1:
            raise forms.ValidationError(_("Đoàn kiểm tra phải có đúng một trưởng đoàn (đang có %(n)s).") % {"n": heads})
        users = [m["user"].pk for m in self.members() if m.get("user")]
        if len(users) != len(set(users)):
            raise forms.ValidationError(_("Một tài khoản được chọn hai lần."))


MemberFormSet = forms.formset_factory(MemberForm, formset=BaseMemberFormSet, extra=2, can_delete=True, max_num=30, validate_max=True)


class PlannedDateForm(forms.Form):
    planned_date = forms.DateField(label=_("Ngày dự kiến"), required=False, widget=DateInput(), help_text=DATE_HELP)


# ---------------------------------------------------------------- on site


class VisitRecordForm(forms.Form):
    visit_date = forms.DateField(label=_("Ngày kiểm tra"), required=False, widget=DateInput(), help_text=DATE_HELP)
    start_time = forms.TimeField(label=_("Từ (giờ)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label=_("Đến (giờ)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    place = forms.CharField(label=_("Địa điểm"), max_length=300, required=False)
    unit_attendees = forms.CharField(
        label=_("Thành phần đơn vị được kiểm tra"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Mỗi dòng một người: họ tên – chức vụ"),
    )
    unit_opinion = forms.CharField(label=_("Ý kiến của đơn vị được kiểm tra"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, areas=(), checks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = list(areas)
        checks = checks or {}
        for area in self.areas:
            check = checks.get(area.pk)
            self.fields[f"checked_{area.pk}"] = forms.BooleanField(label=_("Đã kiểm tra"), required=False, initial=bool(check and check.checked))
            self.fields[f"result_{area.pk}"] = forms.CharField(
                label=_("Kết quả kiểm tra"), required=False, initial=check.result if check else "",
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @classmethod
    def initial_for(cls, visit) -> dict:
        local_start = timezone.localtime(visit.started_at) if visit.started_at else None
        local_end = timezone.localtime(visit.ended_at) if visit.ended_at else None
        return {
            "visit_date": local_start.date() if local_start else visit.planned_date,
            "start_time": local_start.time().replace(second=0, microsecond=0) if local_start else None,
            "end_time": local_end.time().replace(second=0, microsecond=0) if local_end else None,
            "place": visit.place,
            "unit_attendees": visit.unit_attendees,
            "unit_opinion": visit.unit_opinion,
        }

    def checklist_rows(self):
        return [(area, self[f"checked_{area.pk}"], self[f"result_{area.pk}"]) for area in self.areas]

    def clean(self):
        data = super().clean()
        day, start, end = data.get("visit_date"), data.get("start_time"), data.get("end_time")
        if (start or end) and not day:
            self.add_error("visit_date", _("Cần nhập ngày kiểm tra khi đã nhập giờ."))
        if start and end and end <= start:
            self.add_error("end_time", _("Giờ kết thúc phải sau giờ bắt đầu."))
        zone = timezone.get_current_timezone()
        data["started_at"] = timezone.make_aware(dt.datetime.combine(day, start or dt.time(0, 0)), zone) if day else None
        data["ended_at"] = timezone.make_aware(dt.datetime.combine(day, end), zone) if day and end else None
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại"), choices=Finding.Kind.choices, widget=forms.RadioSelect, initial=Finding.Kind.SHORTCOMING)
    text = forms.CharField(
        label=_("Nội dung"), widget=forms.Textarea(attrs={"rows": 4}), required=True,
        error_messages={"required": _("Cần nhập nội dung kết quả kiểm tra.")},
    )
    cause = forms.CharField(label=_("Nguyên nhân (với tồn tại, hạn chế)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    area = forms.ModelChoiceField(label=_("Nội dung kiểm tra liên quan"), queryset=None, required=False, empty_label=_("(không gắn)"))
    criterion_code = forms.CharField(
        label=_("Mã tiêu chí liên quan"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"list": "criterion-codes", "autocomplete": "off", "autocapitalize": "characters"}),
        help_text=_("Ví dụ: 2.1 – để trống nếu không gắn với tiêu chí nào"),
    )
    photos = MultipleFileField(
        label=_("Chụp ảnh"), required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    files = MultipleFileField(
        label=_("Ảnh, tài liệu có sẵn"), required=False, widget=MultipleFileInput(attrs={"accept": FILE_ACCEPT}),
        help_text=_("PDF, Word, Excel, ảnh JPG, PNG; tối đa 20 MB mỗi tệp."),
    )

    def __init__(self, *args, visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.visit = visit
        self.fields["area"].queryset = visit.plan.areas.all()

    def clean_text(self):
        text = (self.cleaned_data.get("text") or "").strip()
        if not text:
            raise forms.ValidationError(_("Cần nhập nội dung kết quả kiểm tra."))
        return text

    def all_files(self) -> list:
        return [*(self.cleaned_data.get("photos") or []), *(self.cleaned_data.get("files") or [])]

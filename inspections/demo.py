"""A demo inspection plan for `load_demo`: Home Affairs visits the Department of Education and
Training (recorded, with findings and a request) and the Department of Finance (planned), as in the
seed reports. Built with the same services as the pages."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Unit, User
from criteria.models import CriteriaSet

from .models import DelegationMember, Finding, InspectionPlan, RemedialAction, Visit
from .services.plans import area_add, areas_from_criteria_set, plan_create, visits_add


def build(year: int) -> InspectionPlan | None:
    organizer = Unit.objects.get(code="SNV")
    if InspectionPlan.objects.filter(year=year, organizer=organizer).exists():
        return None
    admin = User.objects.get(username="snv.quantri")
    inspector = User.objects.get(username="snv.kiemtra")
    plan = plan_create(
        user=admin,
        year=year,
        organizer=organizer,
        title=f"Kế hoạch kiểm tra công tác cải cách hành chính năm {year}",
        decision_number="15/KH-SNV",
        decision_date=dt.date(year, 3, 5),
        decision_issuer="Sở Nội vụ",
        purpose="Đánh giá kết quả thực hiện nhiệm vụ CCHC, kỷ luật, kỷ cương hành chính và công tác văn thư, lưu trữ.",
        remedial_days=15,
    )
    criteria_set = CriteriaSet.objects.published().filter(group__code="SO", year=year).order_by("-version").first()
    if criteria_set:
        areas_from_criteria_set(plan=plan, criteria_set=criteria_set)
    area_add(plan=plan, code="VTLT", title="Công tác văn thư, lưu trữ")
    area_add(plan=plan, code="VHCV", title="Kỷ luật, kỷ cương hành chính, văn hóa công vụ")
    today = timezone.localdate()
    visited, _skipped = visits_add(plan=plan, units=Unit.objects.filter(code__in=["SGDDT", "STC"]), planned_date=today - dt.timedelta(days=30))
    for visit in visited:
        DelegationMember.objects.create(visit=visit, user=admin, full_name=admin.full_name, position_title="Trưởng phòng CCHC", agency="Sở Nội vụ", role="head", position=1)
        DelegationMember.objects.create(visit=visit, user=inspector, full_name=inspector.full_name, position_title="Phó Trưởng phòng CCHC", agency="Sở Nội vụ", role="member", position=2)
    visit = Visit.objects.get(plan=plan, unit__code="SGDDT")
    Visit.objects.filter(pk=visit.pk).update(
        status=Visit.Status.DONE,
        started_at=timezone.now() - dt.timedelta(days=30, hours=3),
        ended_at=timezone.now() - dt.timedelta(days=30, hours=1),
        place="Trụ sở Sở Giáo dục và Đào tạo",
        unit_attendees="Hoàng Văn Em – Phó Giám đốc Sở\nPhạm Thu Dung – Chuyên viên Văn phòng Sở",
        unit_opinion="Sở Giáo dục và Đào tạo thống nhất với kết quả kiểm tra và sẽ khắc phục các tồn tại.",
    )
    Finding.objects.create(visit=visit, kind="strength", text="Tiếp nhận 11.999 hồ sơ, giải quyết đúng hạn 11.801 hồ sơ, sớm hạn 194 hồ sơ; 2.299/2.412 văn bản đi được ký số (95,3%).", created_by=inspector)
    late = Finding.objects.create(visit=visit, kind="shortcoming", text="Chậm ban hành kế hoạch CCHC năm.", cause="Chưa phân công rõ đầu mối tham mưu.", criterion_code="1.1.1", created_by=inspector)
    RemedialAction.objects.create(finding=late, text="Xây dựng kế hoạch cải cách hành chính để triển khai đạt hiệu quả.", responsible_unit=visit.unit)
    records = Finding.objects.create(visit=visit, kind="shortcoming", text="Sổ văn thư chưa ghi đầy đủ tên loại, trích yếu văn bản.", created_by=inspector)
    RemedialAction.objects.create(finding=records, text="Thực hiện đầy đủ quy trình lưu trữ thông tin trên sổ văn thư.", responsible_unit=visit.unit)
    return plan

"""A demo province: Home Affairs, departments, communes/wards, schools, one user per role and
one published criteria set per group, all loaded through the same imports users run."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Unit, UnitGroup, User
from accounts.services import units_import
from criteria.models import CriteriaSet
from criteria.services import criteria_set_import

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_PASSWORD = "ChiSoCCHC@2026"

GROUPS = [
    ("SO", "Sở, ban, ngành", 1),
    ("XA", "UBND xã, phường", 2),
    ("THPT", "Trường THPT", 3),
]
# group, file, name, decision number, issuer (schools' set is issued by their parent department)
CRITERIA = [
    ("SO", "criteria_SO_2026.xlsx", "Bộ chỉ số CCHC các sở, ban, ngành", "125/QĐ-UBND", "UBND tỉnh"),
    ("XA", "criteria_XA_2026.xlsx", "Bộ chỉ số CCHC UBND xã, phường", "126/QĐ-UBND", "UBND tỉnh"),
    ("THPT", "criteria_THPT_2026.xlsx", "Bộ chỉ số CCHC các trường THPT", "746/QĐ-SGDĐT", "Sở Giáo dục và Đào tạo"),
]
# username, full name, position, unit code, roles, appraised groups
USERS = [
    ("snv.quantri", "Nguyễn Thị Hoa", "Trưởng phòng CCHC, Sở Nội vụ", "SNV", {"is_home_affairs"}, []),
    ("snv.thamdinh", "Trần Văn Bình", "Chuyên viên Phòng CCHC, Sở Nội vụ", "SNV", {"is_appraiser"}, ["SO", "XA"]),
    ("snv.kiemtra", "Lê Minh Châu", "Phó Trưởng phòng CCHC, Sở Nội vụ", "SNV", {"is_inspector"}, []),
    ("sgddt.canbo", "Phạm Thu Dung", "Chuyên viên Văn phòng Sở GD&ĐT", "SGDDT", {"is_unit_staff"}, []),
    ("sgddt.lanhdao", "Hoàng Văn Em", "Phó Giám đốc Sở GD&ĐT", "SGDDT", {"is_unit_head"}, []),
    ("stp.canbo", "Vũ Thị Giang", "Chuyên viên Văn phòng Sở Tư pháp", "STP", {"is_unit_staff"}, []),
    ("ubnd.xem", "Đặng Quốc Huy", "Chuyên viên Văn phòng UBND tỉnh", "VPUBND", {"is_viewer"}, []),
]


class Command(BaseCommand):
    help = "Tạo dữ liệu mẫu (chạy lại nhiều lần không sao): đơn vị, người dùng mỗi vai trò, bộ tiêu chí đã ban hành."

    def handle(self, *args, **options):
        year = timezone.localdate().year
        with transaction.atomic():
            for code, name, position in GROUPS:
                UnitGroup.objects.update_or_create(code=code, defaults={"name": name, "position": position})
            with (FIXTURES / "units.xlsx").open("rb") as handle:
                outcome = units_import(source=handle)
            if not outcome.ok:
                raise CommandError("; ".join(str(e) for e in outcome.errors))
            self.stdout.write(f"Đơn vị: thêm {len(outcome.created)}, cập nhật {len(outcome.updated)}, giữ nguyên {len(outcome.unchanged)}.")
            for group_code, filename, name, number, issuer in CRITERIA:
                self._criteria(group_code, filename, name, number, issuer, year)
            for username, full_name, position, unit_code, roles, groups in USERS:
                self._user(username, full_name, position, unit_code, roles, groups)
            for group_code, *_rest in CRITERIA:
                self._round(group_code, year)
            from inspections import demo as inspection_demo

            if inspection_demo.build(year):
                self.stdout.write(f"Kế hoạch kiểm tra CCHC năm {year}: 2 cuộc kiểm tra (1 đã kiểm tra).")
        self.stdout.write(self.style.SUCCESS(f"Dữ liệu mẫu sẵn sàng. Mật khẩu mọi tài khoản mẫu: {DEMO_PASSWORD}"))

    def _criteria(self, group_code: str, filename: str, name: str, number: str, issuer: str, year: int) -> None:
        code = f"{group_code}-{year}"
        if CriteriaSet.objects.filter(code=code).exists():
            self.stdout.write(f"Bộ tiêu chí {code} đã có.")
            return
        with (FIXTURES / filename).open("rb") as handle:
            outcome = criteria_set_import(
                source=handle,
                code=code,
                name=f"{name} năm {year}",
                year=year,
                group=UnitGroup.objects.get(code=group_code),
                publish=True,
                decision_number=number,
                decision_date=timezone.localdate().replace(month=1, day=15),
                decision_issuer=issuer,
                filename=filename,
            )
        if not outcome.ok:
            raise CommandError(f"{filename}: " + "; ".join(str(e) for e in outcome.errors))
        self.stdout.write(f"Bộ tiêu chí {code}: {outcome.leaf_count} tiêu chí chấm điểm, đã ban hành.")

    def _round(self, group_code: str, year: int) -> None:
        """This year's round of the group, open for self-assessment with deadlines from today."""
        from scoring.models import Round
        from scoring.services import round_open

        group = UnitGroup.objects.get(code=group_code)
        if Round.objects.filter(year=year, group=group).exists():
            return
        today = timezone.localdate()
        round_ = round_open(
            year=year,
            group=group,
            criteria_set=CriteriaSet.objects.get(code=f"{group_code}-{year}"),
            self_deadline=today + dt.timedelta(days=21),
            appraisal_deadline=today + dt.timedelta(days=35),
            explanation_deadline=today + dt.timedelta(days=42),
            final_deadline=today + dt.timedelta(days=49),
        )
        from accounts.demo_scores import fill_round

        filled = fill_round(round_)
        self.stdout.write(f"Kỳ đánh giá {year} nhóm {group_code}: {round_.assessments.count()} phiếu, {filled} phiếu có số liệu mẫu.")

    def _user(self, username, full_name, position, unit_code, roles, groups) -> None:
        user, created = User.objects.get_or_create(username=username)
        user.full_name = full_name
        user.position_title = position
        user.unit = Unit.objects.get(code=unit_code)
        user.email = f"{username}@example.gov.vn"
        for field in ("is_home_affairs", "is_appraiser", "is_inspector", "is_unit_staff", "is_unit_head", "is_viewer"):
            setattr(user, field, field in roles)
        # Home Affairs also edits draft criteria sets and users in the admin.
        user.is_staff = user.is_superuser = "is_home_affairs" in roles
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.appraised_groups.set(UnitGroup.objects.filter(code__in=groups))
        self.stdout.write(f"Tài khoản {username} ({'mới' if created else 'cập nhật'}).")

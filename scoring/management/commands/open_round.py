from django.core.management.base import BaseCommand, CommandError

from accounts.models import UnitGroup
from core.management_utils import parse_vn_date
from criteria.models import CriteriaSet
from scoring import engine
from scoring.services import ScoringError, round_open


class Command(BaseCommand):
    help = "Mở kỳ đánh giá của một năm cho một nhóm đơn vị: tạo phiếu cho mọi đơn vị của nhóm."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--group", required=True, help="Mã nhóm đơn vị, ví dụ SO.")
        parser.add_argument("--criteria", required=True, help="Mã bộ tiêu chí đã ban hành (phiên bản mới nhất được dùng).")
        parser.add_argument("--self-deadline", help="Hạn tự chấm dd/mm/yyyy.")
        parser.add_argument("--appraisal-deadline", help="Hạn thẩm định dd/mm/yyyy.")
        parser.add_argument("--explanation-deadline", help="Hạn giải trình dd/mm/yyyy.")
        parser.add_argument("--final-deadline", help="Hạn thẩm định lại dd/mm/yyyy.")
        parser.add_argument("--bands", default=engine.DEFAULT_BANDS, help='Xếp loại, ví dụ "A>=90;B>=80;C>=70;D".')
        parser.add_argument("--dense", action="store_true", help="Xếp hạng liền kề (1, 2, 2, 3) thay vì 1, 2, 2, 4.")

    def handle(self, *args, **o):
        group = UnitGroup.objects.filter(code__iexact=o["group"]).first()
        if group is None:
            raise CommandError(f"Không có nhóm đơn vị mã “{o['group']}”.")
        criteria_set = CriteriaSet.objects.published().filter(code=o["criteria"]).order_by("-version").first()
        if criteria_set is None:
            raise CommandError(f"Không có bộ tiêu chí đã ban hành mã “{o['criteria']}”.")
        try:
            round_ = round_open(
                year=o["year"],
                group=group,
                criteria_set=criteria_set,
                self_deadline=parse_vn_date(o["self_deadline"], "--self-deadline"),
                appraisal_deadline=parse_vn_date(o["appraisal_deadline"], "--appraisal-deadline"),
                explanation_deadline=parse_vn_date(o["explanation_deadline"], "--explanation-deadline"),
                final_deadline=parse_vn_date(o["final_deadline"], "--final-deadline"),
                bands=o["bands"],
                tie_rule=engine.TieRule.DENSE.value if o["dense"] else engine.TieRule.COMPETITION.value,
            )
        except ScoringError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Đã mở kỳ đánh giá {round_.year} cho nhóm {group.code} với {criteria_set.code} v{criteria_set.version}: "
            f"{round_.assessments.count()} phiếu; xếp loại {round_.bands}."
        )

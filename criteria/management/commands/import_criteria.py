from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import UnitGroup
from core.management_utils import parse_vn_date, print_row_errors
from criteria.services import CriteriaError, criteria_set_import

ACTIONS = {"created": "tạo mới", "replaced_draft": "thay bản dự thảo", "new_version": "phiên bản mới"}


class Command(BaseCommand):
    help = "Nhập bộ tiêu chí từ Excel; kiểm tra toàn bộ tệp rồi mới lưu (tất cả hoặc không gì cả)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--code", required=True, help="Mã bộ tiêu chí, ví dụ SO-2026.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--group", required=True, help="Mã nhóm đơn vị, ví dụ SO.")
        parser.add_argument("--publish", action="store_true", help="Ban hành ngay sau khi nhập.")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không lưu.")
        parser.add_argument("--decision-number", default="", help="Số quyết định, ví dụ 123/QĐ-UBND.")
        parser.add_argument("--decision-date", default=None, help="Ngày quyết định dd/mm/yyyy.")
        parser.add_argument("--decision-issuer", default="", help="Cơ quan ban hành.")

    def handle(self, *args, **o):
        file: Path = o["file"]
        if not file.exists():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        group = UnitGroup.objects.filter(code__iexact=o["group"]).first()
        if group is None:
            raise CommandError(f"Không có nhóm đơn vị mã “{o['group']}”.")
        try:
            with file.open("rb") as handle:
                outcome = criteria_set_import(
                    source=handle,
                    code=o["code"],
                    name=o["name"],
                    year=o["year"],
                    group=group,
                    publish=o["publish"],
                    dry_run=o["dry_run"],
                    decision_number=o["decision_number"],
                    decision_date=parse_vn_date(o["decision_date"], "--decision-date"),
                    decision_issuer=o["decision_issuer"],
                    filename=file.name,
                )
        except CriteriaError as exc:
            raise CommandError(exc.message) from exc
        if not outcome.ok:
            print_row_errors(self.stderr, outcome.errors)
            raise CommandError(f"{len(outcome.errors)} lỗi; không có gì được lưu.")
        leaves = outcome.leaf_count
        if outcome.dry_run:
            self.stdout.write(f"[thử] Tệp hợp lệ: {len(outcome.rows)} dòng, {leaves} tiêu chí chấm điểm ({ACTIONS[outcome.action]}).")
            return
        cs = outcome.criteria_set
        state = "đã ban hành" if cs.is_published else "dự thảo"
        self.stdout.write(f"{cs.code} phiên bản {cs.version} ({ACTIONS[outcome.action]}, {state}): {len(outcome.rows)} dòng, {leaves} tiêu chí chấm điểm.")

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from core.management_utils import print_row_errors
from scoring.excel import STAGES, scores_import
from scoring.models import Stage


class Command(BaseCommand):
    help = (
        "Nhập điểm từ Excel (Mã đơn vị | Mã tiêu chí | Điểm | Lựa chọn | Tử số | Mẫu số | Số lượng | Không áp dụng | Ghi chú) "
        "cho mọi trạng thái trước khi công bố; kiểm tra toàn bộ tệp rồi mới lưu (tất cả hoặc không gì cả)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument(
            "--stage",
            required=True,
            choices=STAGES,
            help="self: tự chấm; appraisal: thẩm định (thẩm định lại nếu phiếu đã sang giải trình); survey: tỷ lệ điều tra xã hội học.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra và liệt kê thay đổi, không lưu.")
        parser.add_argument("--user", default="", help="Tên đăng nhập ghi vào lịch sử thay đổi (không bắt buộc).")

    def handle(self, *args, **o):
        file: Path = o["file"]
        if not file.exists():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        user = None
        if o["user"]:
            user = User.objects.filter(username=o["user"]).first()
            if user is None:
                raise CommandError(f"Không có người dùng “{o['user']}”.")
        with file.open("rb") as handle:
            outcome = scores_import(
                source=handle, year=o["year"], stage=o["stage"], user=user, filename=file.name, dry_run=o["dry_run"]
            )
        if not outcome.ok:
            print_row_errors(self.stderr, outcome.errors)
            raise CommandError(f"{len(outcome.errors)} lỗi; không có gì được lưu.")
        verbosity = o.get("verbosity", 1)
        if outcome.dry_run or verbosity >= 2:
            for c in outcome.changes:
                self.stdout.write(f"{c.unit_code} {c.criterion_code} [{Stage(c.stage).label}] {c.field_label}: “{c.old_display}” → “{c.new_display}”")
        prefix = "Chạy thử, không lưu: sẽ thay đổi" if outcome.dry_run else "Đã lưu: thay đổi"
        for stage, count in outcome.changed.items():
            self.stdout.write(f"{prefix} {count} giá trị ({Stage(stage).label}).")
        if not outcome.changed:
            self.stdout.write("Không có giá trị nào thay đổi." if not outcome.dry_run else "Chạy thử: không có giá trị nào sẽ thay đổi.")
        self.stdout.write(f"Không đổi: {outcome.unchanged} dòng.")

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.services import units_import
from core.management_utils import print_row_errors


class Command(BaseCommand):
    help = "Nhập danh sách đơn vị từ Excel (Mã đơn vị | Tên đơn vị | Nhóm | Mã đơn vị cấp trên); tất cả hoặc không gì cả."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không lưu.")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        if not file.exists():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        with file.open("rb") as handle:
            outcome = units_import(source=handle, dry_run=dry_run)
        if not outcome.ok:
            print_row_errors(self.stderr, outcome.errors)
            raise CommandError(f"{len(outcome.errors)} lỗi; không có gì được lưu.")
        prefix = "[thử] " if dry_run else ""
        self.stdout.write(
            f"{prefix}Thêm mới {len(outcome.created)}, cập nhật {len(outcome.updated)}, "
            f"không đổi {len(outcome.unchanged)} đơn vị; nhóm mới: {', '.join(outcome.new_groups) or 'không'}."
        )

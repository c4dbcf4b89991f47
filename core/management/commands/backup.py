"""`backup --output FILE.tar.gz`: the database and every file under MEDIA_ROOT in one archive (core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Sao lưu cơ sở dữ liệu và mọi tệp trong MEDIA_ROOT (minh chứng, tệp đính kèm, văn bản đã ban hành) vào một tệp .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, required=True, help="Tệp .tar.gz sẽ ghi (ghi đè nếu đã có).")

    def handle(self, *args, output: Path, **options):
        try:
            manifest = backup_create(output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["counts"].values())
        size = sum(f["size"] for f in manifest["files"].values())
        self.stdout.write(
            f"Đã sao lưu {rows} bản ghi ({len([n for n in manifest['counts'].values() if n])} bảng) "
            f"và {len(manifest['files'])} tệp ({size} byte) vào {output}."
        )

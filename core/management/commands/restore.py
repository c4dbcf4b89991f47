"""`restore FILE.tar.gz [--yes]`: the database and the files of a `backup` archive (core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Khôi phục cơ sở dữ liệu và các tệp từ một bản sao lưu. Từ chối nếu cơ sở dữ liệu đã có dữ liệu, "
        "trừ khi có --yes (khi đó xóa hết dữ liệu hiện có trước)."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="Tệp .tar.gz do lệnh backup tạo.")
        parser.add_argument("--yes", action="store_true", help="Xóa toàn bộ dữ liệu hiện có rồi khôi phục.")

    def handle(self, *args, archive: Path, yes: bool, **options):
        try:
            report = restore(archive, replace=yes)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = report.manifest
        self.stdout.write(
            f"Bản sao lưu ngày {manifest['created_at']} (phiên bản {manifest['app_version'] or '?'}, {manifest['database']})."
        )
        if options["verbosity"] > 1:
            for label, n in sorted(report.counts.items()):
                if n:
                    self.stdout.write(f"  {label}: {n}")
        self.stdout.write(
            f"Đã khôi phục {sum(report.counts.values())} bản ghi và {report.files} tệp ({report.bytes} byte); "
            "số bản ghi và SHA-256 của mọi tệp khớp với danh mục."
        )

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from criteria.excel import criteria_workbook
from criteria.models import CriteriaSet


class Command(BaseCommand):
    help = "Xuất bộ tiêu chí ra Excel theo đúng bố cục mà import_criteria đọc."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--output", type=Path, required=True)
        parser.add_argument("--set-version", dest="set_version", type=int, default=None, help="Mặc định: phiên bản mới nhất.")

    def handle(self, *args, code: str, output: Path, set_version: int | None, **options):
        sets = CriteriaSet.objects.filter(code=code).select_related("group")
        if set_version:
            sets = sets.filter(version=set_version)
        criteria_set = sets.order_by("-version").first()
        if criteria_set is None:
            raise CommandError(f"Không có bộ tiêu chí mã “{code}”.")
        criteria_workbook(criteria_set).save(output)
        self.stdout.write(f"Đã ghi {criteria_set} ({criteria_set.criteria.count()} dòng) vào {output}.")

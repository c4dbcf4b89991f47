from pathlib import Path

from django.core.management.base import BaseCommand

from accounts.models import Unit
from accounts.services import units_workbook


class Command(BaseCommand):
    help = "Xuất danh sách đơn vị ra Excel, cùng bố cục với import_units."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, required=True)

    def handle(self, *args, output: Path, **options):
        units = Unit.objects.select_related("group", "parent")
        units_workbook(units).save(output)
        self.stdout.write(f"Đã ghi {units.count()} đơn vị vào {output}.")

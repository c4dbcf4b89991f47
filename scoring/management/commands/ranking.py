"""`ranking`: the group's ranking as the pages show it — provisional before publication, the
latest published snapshot after — in the format asked for."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import UnitGroup
from scoring import exports
from scoring import ranking as rankings
from scoring.models import Round

FORMATS = ("table", "csv", "json", "xlsx", "pdf")


class Command(BaseCommand):
    help = "Xếp hạng một nhóm đơn vị trong một năm (tạm tính trước khi công bố, bản công bố sau đó)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--group", required=True)
        parser.add_argument("--stage", choices=("self", "final"), default="final")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="table")
        parser.add_argument("--output", type=Path, help="Tệp ghi kết quả (bắt buộc với xlsx và pdf).")
        parser.add_argument("--publication", type=int, help="Số lần công bố (mặc định: lần mới nhất).")

    def handle(self, *args, year: int, group: str, stage: str, fmt: str, output: Path | None, publication: int | None, **options):
        unit_group = UnitGroup.objects.filter(code__iexact=group).first()
        if unit_group is None:
            raise CommandError(f"Không có nhóm đơn vị mã “{group}”.")
        round_ = Round.objects.filter(year=year, group=unit_group).select_related("group", "criteria_set").first()
        if round_ is None:
            raise CommandError(f"Nhóm {unit_group.code} chưa có kỳ đánh giá năm {year}.")
        if publication is not None and not round_.publications.filter(number=publication).exists():
            raise CommandError(f"Kỳ đánh giá chưa có lần công bố {publication}.")
        ranking = rankings.current(round_, publication_number=publication)
        if fmt in ("xlsx", "pdf") and output is None:
            raise CommandError(f"--format {fmt} cần --output FILE.")
        if fmt == "csv":
            data = exports.to_csv(ranking, stage)
        elif fmt == "json":
            data = exports.to_json(ranking, stage)
        elif fmt == "table":
            data = exports.to_table(ranking, stage)
        elif fmt == "xlsx":
            data = exports.workbook(ranking)
        else:
            from core.pdf import render_pdf
            from scoring.views.reports import ranking_report_context

            data = render_pdf("documents/ranking_report.html", ranking_report_context(ranking, stage))
        if output is None:
            sys.stdout.write(data)
            return
        if isinstance(data, str):
            output.write_text(data, encoding="utf-8")
        else:
            output.write_bytes(data)
        state = "tạm tính" if ranking.provisional else f"công bố lần {ranking.publication.number}"
        self.stderr.write(f"Đã ghi {len(ranking.units)} đơn vị ({state}) vào {output}.")

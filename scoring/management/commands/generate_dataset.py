"""Build a reproducible synthetic province for benchmarks and load tests (see scoring/dataset.py)."""

from django.core.management.base import BaseCommand, CommandError

from scoring.dataset import Sizes, generate


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu tổng hợp có thể lặp lại (cùng seed → cùng dữ liệu) vào một cơ sở dữ liệu trống: "
        "nhóm, đơn vị, bộ tiêu chí, kỳ đánh giá, điểm tự chấm, thẩm định, điều tra, tài liệu kiểm chứng, kiểm tra."
    )

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, required=True, help="Số đơn vị được chấm (chia cho các nhóm SO, XA, THPT).")
        parser.add_argument("--leaves", type=int, required=True, help="Số tiêu chí lá của mỗi bộ tiêu chí.")
        parser.add_argument("--years", type=int, default=1, help="Số năm đánh giá.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--last-year", type=int, default=2026, help="Năm đánh giá cuối cùng.")

    def handle(self, *args, units, leaves, years, seed, last_year, **options):
        if units < 4 or leaves < 3 or years < 1:
            raise CommandError("Cần ít nhất 4 đơn vị, 3 tiêu chí lá và 1 năm.")
        try:
            outcome = generate(Sizes(units, leaves, years, seed, last_year), progress=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Xong trong {outcome.seconds:.1f}s: {outcome.units} đơn vị, {outcome.rounds} kỳ đánh giá, "
            f"{outcome.assessments} phiếu, {outcome.values} giá trị tiêu chí, {outcome.evidence_files} tệp kiểm chứng, "
            f"{outcome.plans} kế hoạch kiểm tra, {outcome.actions} kiến nghị khắc phục."
        )

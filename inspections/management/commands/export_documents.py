"""`export_documents --year YEAR --output DIR`: every issued minutes and conclusion notice of the
year's plans, as the PDF bytes stored when it was issued (never re-rendered), one file per document:
`<unit code>_<bien-ban|thong-bao-ket-luan>[_<number>].pdf`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inspections.models import InspectionDocument
from inspections.services.documents import number_slug

KIND_NAMES = {InspectionDocument.Kind.MINUTES: "bien-ban", InspectionDocument.Kind.NOTICE: "thong-bao-ket-luan"}


def export_name(document: InspectionDocument) -> str:
    parts = [document.visit.unit.code, KIND_NAMES[document.kind]]
    slug = number_slug(document.number)
    if slug:
        parts.append(slug)
    return "_".join(parts)


class Command(BaseCommand):
    help = "Xuất mọi biên bản, thông báo kết luận kiểm tra đã ban hành của một năm ra PDF (bản lưu khi ban hành)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Năm của kế hoạch kiểm tra.")
        parser.add_argument("--output", type=Path, required=True, help="Thư mục ghi các tệp PDF (tạo nếu chưa có).")

    def handle(self, *args, year: int, output, **options):
        output = Path(output)
        documents = (
            InspectionDocument.objects.filter(visit__plan__year=year, status=InspectionDocument.Status.ISSUED)
            .select_related("visit__unit")
            .order_by("visit__unit__code", "kind", "issued_at", "pk")
        )
        if output.exists() and not output.is_dir():
            raise CommandError(f"--output {output}: đã có một tệp trùng tên, cần một thư mục.")
        output.mkdir(parents=True, exist_ok=True)
        used: set[str] = set()
        written, missing = 0, []
        for document in documents:
            try:
                with document.pdf.open("rb") as handle:
                    data = handle.read()
            except (FileNotFoundError, OSError, ValueError):
                missing.append(f"{document.visit.unit.code} {document} (id {document.pk})")
                continue
            stem = export_name(document)
            name, n = f"{stem}.pdf", 1
            while name.lower() in used:
                n += 1
                name = f"{stem}_{n}.pdf"
            used.add(name.lower())
            (output / name).write_bytes(data)
            written += 1
            if options["verbosity"] > 1:
                self.stdout.write(name)
        self.stdout.write(f"Đã xuất {written} văn bản năm {year} vào {output}.")
        if missing:
            raise CommandError("Không đọc được tệp PDF đã lưu của: " + "; ".join(missing))

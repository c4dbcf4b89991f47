from urllib.parse import quote

from django.http import HttpResponse

from core.excel import XLSX_CONTENT_TYPE, workbook_bytes


def xlsx_response(workbook, filename: str) -> HttpResponse:
    response = HttpResponse(workbook_bytes(workbook), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response

from functools import wraps
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from core.excel import XLSX_CONTENT_TYPE, workbook_bytes


def xlsx_response(workbook, filename: str) -> HttpResponse:
    """An .xlsx download of an openpyxl workbook, or of the bytes of one already written."""
    data = workbook if isinstance(workbook, bytes) else workbook_bytes(workbook)
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def wants_json(request) -> bool:
    """A page's script (static/js) sending a form in place; a plain form post gets the page as before."""
    return "application/json" in request.headers.get("Accept", "") or request.headers.get("X-Requested-With") == "fetch"


def json_refusals(view):
    """A refusal (403) answered to a page's script in JSON, with a sentence it can show beside the
    form, rather than Django's bare 403 page that the script could only fall back to."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            if not wants_json(request):
                raise
            message = str(exc) or _(
                "Không lưu được: phiếu đã nộp, đã quá hạn hoặc bạn không có quyền sửa. Tải lại trang để xem."
            )
            return JsonResponse({"ok": False, "message": message}, status=403)

    return wrapper

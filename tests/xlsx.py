"""Build small Excel workbooks in tests, the way a Home Affairs officer writes them by hand."""

import io

from openpyxl import Workbook

VI_HEADERS = ["Mã", "Nội dung", "Điểm tối đa", "Loại", "Cách chấm", "Quy tắc", "Số liệu", "Không áp dụng", "Tài liệu kiểm chứng", "Hướng dẫn"]
EN_HEADERS = ["code", "title", "max_points", "kind", "method", "rule", "inputs", "allow_na", "evidence", "guidance"]


def xlsx_bytes(headers, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# A hand-written set: Vietnamese headers, comma decimals as text, every method, bonus and penalty.
HANDWRITTEN = [
    ["1", "Công tác chỉ đạo, điều hành CCHC", 6, "", "", "", "", "", "", ""],
    ["1.1", "Kế hoạch CCHC năm", "3,5", "", "", "", "", "", "", ""],
    ["1.1.1", "Ban hành kế hoạch CCHC năm", 1, "", "lựa chọn", "Ban hành kịp thời = 1; Ban hành không kịp thời = 0,5; Không ban hành = 0", "", "", "Kế hoạch CCHC năm", ""],
    ["1.1.2", "Mức độ thực hiện kế hoạch CCHC", "2,5", "", "theo mức tỷ lệ", ">= 100% = 2,5; >= 95% = 1,75; > 90% = 1; còn lại = 0", "Số nhiệm vụ hoàn thành / Tổng số nhiệm vụ", "", "Báo cáo CCHC năm", "Tính trên kế hoạch đã ban hành"],
    ["1.2", "Kiểm tra công tác CCHC", "2,5", "", "", "", "", "", "", ""],
    ["1.2.1", "Tỷ lệ đơn vị trực thuộc được kiểm tra", 1, "", "theo mức tỷ lệ", ">= 30% = 1; còn lại = 0", "Số đơn vị được kiểm tra / Tổng số đơn vị trực thuộc", "x", "Kế hoạch, thông báo kết luận kiểm tra", ""],
    ["1.2.2", "Tự đánh giá công tác kiểm tra", "1,5", "", "tự chấm", "", "", "", "Báo cáo", ""],
    ["2", "Cải cách thủ tục hành chính", 8, "điểm", "", "", "", "", "", ""],
    ["2.1", "Tỷ lệ hồ sơ TTHC giải quyết trước và đúng hạn", 2, "", "tỷ lệ", "", "Số hồ sơ trước và đúng hạn / Tổng số hồ sơ", "", "Báo cáo từ Hệ thống một cửa điện tử", ""],
    ["2.2", "Nội quy, quy chế được ban hành", 2, "", "mỗi lần", "0,5", "Số nội quy, quy chế", "", "Các nội quy, quy chế", ""],
    ["2.3", "Chấp hành kỷ luật, kỷ cương hành chính", 1, "", "trừ dần", "0,25", "Số trường hợp bị kỷ luật", "", "Quyết định kỷ luật (nếu có)", ""],
    ["2.4", "Hoàn thành nhiệm vụ được giao", 1, "", "lựa chọn", "Hoàn thành xuất sắc = 100%; Hoàn thành tốt = 75%; Hoàn thành = 50%; Không hoàn thành = 0", "", "x", "Báo cáo", ""],
    ["2.5", "Mức độ hài lòng của người dân (SIPAS)", 2, "", "điều tra xã hội học", "", "", "", "", ""],
    ["B", "Điểm thưởng", 1, "thưởng", "", "", "", "", "", ""],
    ["B.1", "Được khen thưởng về CCHC", 1, "", "lựa chọn", "Bằng khen = 1; Giấy khen = 0,5; Không = 0", "", "", "Quyết định khen thưởng", ""],
    ["B.2", "Sáng kiến CCHC được công nhận", 1, "", "mỗi lần", "0,5", "Số sáng kiến", "", "Quyết định công nhận", ""],
    ["P", "Điểm trừ", 2, "trừ", "", "", "", "", "", ""],
    ["P.1", "Bị phê bình bằng văn bản", 2, "", "mỗi lần", "0,5", "Số lần bị phê bình", "", "Văn bản phê bình", ""],
]

"""What each role has to do, shown on the home page. Later features add their own items here."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet

from .access import criteria_sets_for
from .models import Role, UnitGroup


@dataclass
class Task:
    text: str
    url: str = ""
    urgent: bool = False


def tasks_for(user) -> dict[str, list[Task]]:
    """Tasks per role label, for every role the user holds."""
    year = timezone.localdate().year
    tasks: dict[str, list[Task]] = {}
    for role in user.roles:
        items: list[Task] = []
        if role == Role.HOME_AFFAIRS:
            for cs in CriteriaSet.objects.filter(status=CriteriaSet.Status.DRAFT).select_related("group"):
                items.append(Task(_("Rà soát và ban hành bộ tiêu chí dự thảo %(set)s") % {"set": cs}, reverse("criteria:detail", args=[cs.pk]), True))
            covered = set(CriteriaSet.objects.published().filter(year=year).values_list("group_id", flat=True))
            for group in UnitGroup.objects.exclude(pk__in=covered):
                items.append(Task(_("Nhóm %(group)s chưa có bộ tiêu chí ban hành cho năm %(year)s") % {"group": group.name, "year": year}, reverse("criteria:import"), True))
        elif role in (Role.UNIT_STAFF, Role.UNIT_HEAD, Role.APPRAISER, Role.VIEWER, Role.INSPECTOR):
            for cs in criteria_sets_for(user).filter(year=year).select_related("group"):
                items.append(Task(_("Đọc bộ tiêu chí %(set)s và tài liệu kiểm chứng cần chuẩn bị") % {"set": cs}, reverse("criteria:detail", args=[cs.pk])))
            if role == Role.APPRAISER and not user.appraised_groups.exists():
                items.append(Task(_("Bạn chưa được phân công thẩm định nhóm đơn vị nào; liên hệ Sở Nội vụ."), "", True))
            if role in (Role.UNIT_STAFF, Role.UNIT_HEAD) and not user.unit_id:
                items.append(Task(_("Tài khoản chưa gắn với đơn vị nào; liên hệ Sở Nội vụ."), "", True))
        tasks[str(role.label)] = items
    return tasks

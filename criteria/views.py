import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import criteria_sets_for, get_criteria_set, get_criteria_set_for_edit, require_roles
from accounts.models import Role, UnitGroup
from core import staging
from core.responses import xlsx_response

from .excel import criteria_workbook
from .forms import CloneForm, CriteriaImportForm
from .services import (
    CriteriaError,
    criteria_set_clone_to_year,
    criteria_set_import,
    criteria_set_new_version,
    criteria_set_publish,
    next_year_code,
)
from .tree import build_tree


@login_required
def criteria_list(request):
    sets = (
        criteria_sets_for(request.user)
        .select_related("group")
        .annotate(leaves=Count("criteria", filter=~Q(criteria__method="")))
        .order_by("-year", "group__position", "code", "-version")
    )
    return render(request, "criteria/list.html", {"sets": sets})


@login_required
def criteria_detail(request, pk: int):
    criteria_set = get_criteria_set(request.user, pk)
    tree = build_tree(criteria_set)
    versions = criteria_sets_for(request.user).filter(code=criteria_set.code).order_by("-version")
    clone_form = CloneForm(initial={"code": next_year_code(criteria_set.code, criteria_set.year)})
    return render(
        request,
        "criteria/detail.html",
        {"cs": criteria_set, "tree": tree, "versions": versions, "clone_form": clone_form},
    )


@login_required
def criteria_export(request, pk: int):
    criteria_set = get_criteria_set(request.user, pk)
    return xlsx_response(criteria_workbook(criteria_set), f"{criteria_set.code}-v{criteria_set.version}.xlsx")


def _form_meta(data: dict) -> dict:
    meta = {k: data[k] for k in ("code", "name", "year", "decision_number", "decision_issuer", "publish")}
    meta["group"] = data["group"].code
    meta["decision_date"] = data["decision_date"].isoformat() if data["decision_date"] else ""
    return meta


def _import_kwargs(meta: dict) -> dict:
    return {
        "code": meta["code"],
        "name": meta["name"],
        "year": meta["year"],
        "group": UnitGroup.objects.get(code=meta["group"]),
        "decision_number": meta["decision_number"],
        "decision_issuer": meta["decision_issuer"],
        "decision_date": dt.date.fromisoformat(meta["decision_date"]) if meta["decision_date"] else None,
        "publish": meta["publish"],
    }


@require_roles(Role.HOME_AFFAIRS)
def criteria_import(request):
    form = CriteriaImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        meta = _form_meta(form.cleaned_data)
        outcome = criteria_set_import(source=upload, dry_run=True, filename=upload.name, **_import_kwargs(meta))
        upload.seek(0)
        token = staging.stage(request, upload, purpose="criteria", meta=meta) if outcome.ok else ""
        return render(
            request,
            "criteria/import_preview.html",
            {"outcome": outcome, "token": token, "meta": meta, "filename": upload.name, "form": form},
        )
    return render(request, "criteria/import.html", {"form": form})


@require_POST
@require_roles(Role.HOME_AFFAIRS)
def criteria_import_confirm(request):
    staged = staging.take(request, purpose="criteria")
    if staged is None:
        return redirect("criteria:import")
    entry, data = staged
    try:
        outcome = criteria_set_import(source=data, user=request.user, filename=entry["name"], **_import_kwargs(entry["meta"]))
    except CriteriaError as exc:
        messages.error(request, exc.message)
        return redirect("criteria:import")
    if not outcome.ok:
        return render(request, "criteria/import_preview.html", {"outcome": outcome, "token": "", "meta": entry["meta"], "filename": entry["name"]})
    messages.success(
        request,
        _("Đã nhập %(set)s: %(n)s tiêu chí chấm điểm.") % {"set": outcome.criteria_set, "n": outcome.leaf_count},
    )
    return redirect("criteria:detail", pk=outcome.criteria_set.pk)


@require_POST
@login_required
def criteria_publish(request, pk: int):
    criteria_set = get_criteria_set_for_edit(request.user, pk)
    try:
        criteria_set_publish(criteria_set=criteria_set, user=request.user)
        messages.success(request, _("Đã ban hành %(set)s. Bộ tiêu chí không còn được sửa.") % {"set": criteria_set})
    except CriteriaError as exc:
        messages.error(request, exc.message)
    return redirect("criteria:detail", pk=pk)


@require_POST
@login_required
def criteria_new_version(request, pk: int):
    criteria_set = get_criteria_set_for_edit(request.user, pk)
    try:
        copy = criteria_set_new_version(criteria_set=criteria_set, user=request.user)
    except CriteriaError as exc:
        messages.error(request, exc.message)
        return redirect("criteria:detail", pk=pk)
    messages.success(request, _("Đã tạo phiên bản dự thảo %(v)s để đính chính.") % {"v": copy.version})
    return redirect("criteria:detail", pk=copy.pk)


@require_POST
@login_required
def criteria_clone(request, pk: int):
    criteria_set = get_criteria_set_for_edit(request.user, pk)
    form = CloneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Hãy nhập mã bộ tiêu chí năm sau."))
        return redirect("criteria:detail", pk=pk)
    try:
        copy = criteria_set_clone_to_year(criteria_set=criteria_set, code=form.cleaned_data["code"].strip(), user=request.user)
    except CriteriaError as exc:
        messages.error(request, exc.message)
        return redirect("criteria:detail", pk=pk)
    messages.success(request, _("Đã sao chép sang năm %(year)s (dự thảo).") % {"year": copy.year})
    return redirect("criteria:detail", pk=copy.pk)



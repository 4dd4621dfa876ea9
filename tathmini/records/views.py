"""The staff pages for every operational record type: index, list (search, filters, date range,
sort, pages, CSV/XLSX export), detail with audit history, add, edit and delete.

Generic over ``tathmini.records.types``: a new declared type gets its pages without code here.
Every page is open to the roles by decorator; the declaration then decides (``readable_by``,
``editable_by``, ``visible``), and writes go through ``tathmini.records.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tathmini.accounts.roles import ALL_ROLES
from tathmini.core import versions
from tathmini.core.access import for_roles
from tathmini.core.models import AuditEvent
from tathmini.records import exports, selectors
from tathmini.records.forms import RecordFilterForm, record_form_class
from tathmini.records.services import delete_record, save_record, snapshot_before
from tathmini.records.types import RecordType

PAGE_SIZE = 50

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _readable(request: HttpRequest, key: str) -> RecordType:
    rt = selectors.record_type_or_404(key)
    if not rt.readable_by(request.user):
        raise PermissionDenied
    return rt


def _require_editor(rt: RecordType, request: HttpRequest) -> None:
    if not rt.editable_by(request.user):
        raise PermissionDenied


@for_roles(*ALL_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "records/index.html", {"groups": selectors.index_groups(request.user)})


@for_roles(*ALL_ROLES)
def record_list(request: HttpRequest, key: str) -> HttpResponse:
    rt = _readable(request, key)
    form = RecordFilterForm(request.GET, rt=rt, user=request.user)
    values = form.values()
    records = selectors.for_list(rt, selectors.filtered_records(rt, request.user, values))
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "records/list.html",
        {
            "rt": rt,
            "form": form,
            "page": page,
            "rows": selectors.list_rows(rt, page.object_list),
            "columns": _columns(rt, values.get("sort")),
            "can_edit": rt.editable_by(request.user),
        },
    )


def _columns(rt: RecordType, sort: str | None) -> list[dict[str, Any]]:
    out = []
    for name in rt.list_columns:
        direction = "ascending" if sort == name else "descending" if sort == f"-{name}" else ""
        out.append(
            {
                "label": rt.model_field(name).verbose_name,
                "sort": f"-{name}" if direction == "ascending" else name,
                "direction": direction,
            }
        )
    return out


def _export(request: HttpRequest, key: str, suffix: str) -> HttpResponse:
    rt = _readable(request, key)
    form = RecordFilterForm(request.GET, rt=rt, user=request.user)
    records = exports.prefetched(rt, selectors.filtered_records(rt, request.user, form.values()))
    data = exports.rows(rt, records)
    if suffix == "csv":
        response = HttpResponse(exports.to_csv(data), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.to_xlsx(data, title=rt.key), content_type=XLSX_TYPE)
    name = exports.safe_filename(f"{rt.key}-{timezone.localdate():%Y-%m-%d}")
    response["Content-Disposition"] = f'attachment; filename="{name}.{suffix}"'
    return response


@for_roles(*ALL_ROLES)
def export_csv(request: HttpRequest, key: str) -> HttpResponse:
    return _export(request, key, "csv")


@for_roles(*ALL_ROLES)
def export_xlsx(request: HttpRequest, key: str) -> HttpResponse:
    return _export(request, key, "xlsx")


@for_roles(*ALL_ROLES)
def record_detail(request: HttpRequest, key: str, pk: int) -> HttpResponse:
    rt = _readable(request, key)
    record = selectors.record_or_404(rt, request.user, pk, for_display=True)
    return render(
        request,
        "records/detail.html",
        {
            "rt": rt,
            "record": record,
            "fields": selectors.field_values(rt, record),
            "history": selectors.audit_history(record),
            "can_edit": rt.editable_by(request.user),
        },
    )


@for_roles(*ALL_ROLES)
def record_create(request: HttpRequest, key: str) -> HttpResponse:
    rt = _readable(request, key)
    _require_editor(rt, request)
    return _form_page(request, rt, rt.model())


@for_roles(*ALL_ROLES)
def record_edit(request: HttpRequest, key: str, pk: int) -> HttpResponse:
    rt = _readable(request, key)
    record = selectors.record_or_404(rt, request.user, pk)
    _require_editor(rt, request)
    return _form_page(request, rt, record)


def _form_page(request: HttpRequest, rt: RecordType, record: Any) -> HttpResponse:
    form_class = record_form_class(rt)
    creating = record.pk is None
    # The version of the record as the form shows it: a save from an older copy is refused.
    loaded = "" if creating else versions.of(record)
    stale = None
    if request.method == "POST":
        loaded = request.POST.get(versions.FIELD, "")
        before = snapshot_before(record)  # before the form writes the posted values into the instance
        form = form_class(request.POST, instance=record, rt=rt, user=request.user)
        if form.is_valid():
            record = form.save(commit=False)
            try:
                save_record(
                    rt,
                    record,
                    actor=request.user,
                    channel=AuditEvent.Channel.WEB,
                    before=before,
                    m2m=form.many_to_many(),
                    version=loaded or None,
                )
            except versions.StaleCopy as exc:
                stale = _stale(rt, exc)
                # The form keeps the person's entries; saving them again now replaces what is
                # stored, knowingly, since the page shows the current values beside them.
                loaded = exc.version
            else:
                messages.success(request, _("Saved: %(record)s.") % {"record": record})
                return redirect("records:detail", rt.key, record.pk)
    else:
        form = form_class(instance=record, rt=rt, user=request.user)
    return render(
        request,
        "records/form.html",
        {"rt": rt, "form": form, "record": record, "creating": creating, "loaded_version": loaded, "stale": stale},
    )


def _stale(rt: RecordType, exc: versions.StaleCopy) -> dict[str, Any]:
    """What the page says about a refused write: who changed the record, when, and its values now."""
    return {
        "by": exc.by(),
        "deleted": exc.deleted,
        "fields": selectors.field_values(rt, exc.current) if exc.current is not None else [],
    }


@for_roles(*ALL_ROLES)
def record_delete(request: HttpRequest, key: str, pk: int) -> HttpResponse:
    rt = _readable(request, key)
    record = selectors.record_or_404(rt, request.user, pk)
    _require_editor(rt, request)
    loaded = versions.of(record)
    stale = None
    if request.method == "POST":
        label = str(record)
        try:
            delete_record(
                rt,
                record,
                actor=request.user,
                channel=AuditEvent.Channel.WEB,
                version=request.POST.get(versions.FIELD) or None,
            )
        except (ProtectedError, RestrictedError):
            messages.error(request, _("%(record)s was not deleted: other records refer to it.") % {"record": label})
            return redirect("records:detail", rt.key, pk)
        except versions.StaleCopy as exc:
            # Asked again, on the current values: confirming now deletes the record as it is.
            stale = _stale(rt, exc)
            loaded = exc.version
        else:
            messages.success(request, _("Deleted: %(record)s.") % {"record": label})
            return redirect("records:list", rt.key)
    return render(
        request,
        "records/confirm_delete.html",
        {"rt": rt, "record": record, "loaded_version": loaded, "stale": stale},
    )

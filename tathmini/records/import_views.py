"""Spreadsheet import pages: choose a record type, download its template, upload a file, read the
report. Thin: the engine (``imports``) checks and writes; these only pick the type and the job."""

from __future__ import annotations

import contextlib
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tathmini.accounts.roles import ALL_ROLES
from tathmini.core.access import for_roles
from tathmini.records import exports, imports, types
from tathmini.records.models import ImportJob
from tathmini.records.types import RecordType

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet file (.xlsx or .csv)"))
    dry_run = forms.BooleanField(
        label=_("Check only (dry run): show the report without writing anything"), required=False
    )


def _editable(request: HttpRequest, key: str) -> RecordType:
    try:
        rt = types.get(key)
    except KeyError:
        raise Http404 from None
    if not rt.editable_by(request.user):
        raise PermissionDenied
    return rt


@for_roles(*ALL_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    editable = [rt for rt in types.all_types() if rt.editable_by(request.user)]
    mine = ImportJob.objects.filter(owner_id=request.user.pk)
    imports.settle_stalled(mine)
    jobs = mine[:10]
    labels = {rt.key: rt.label_plural for rt in types.all_types()}
    return render(
        request,
        "records/import_index.html",
        {"record_types": editable, "jobs": [(job, labels.get(job.record_type, job.record_type)) for job in jobs]},
    )


@for_roles(*ALL_ROLES)
def upload(request: HttpRequest, key: str) -> HttpResponse:
    rt = _editable(request, key)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        data = upload_file.read(settings.IMPORT_MAX_BYTES + 1)  # one byte more lets the size guard speak
        job = ImportJob.objects.create(
            owner=cast(Any, request.user),
            record_type=rt.key,
            filename=exports.safe_filename(upload_file.name or "file"),
            dry_run=form.cleaned_data["dry_run"],
            language=get_language() or settings.LANGUAGE_CODE,
        )
        if imports.estimate_rows(job.filename, data) > settings.IMPORT_BACKGROUND_ROWS:
            imports.start_in_background(job, data)
        else:
            # A failure is logged and recorded on the job: its page says so.
            with contextlib.suppress(Exception):
                imports.process(job, data)
        return redirect("imports:job", job=job.pk)
    return render(
        request,
        "records/import_upload.html",
        {
            "rt": rt,
            "form": form,
            "columns": imports.column_docs(rt),
            "max_mb": imports._megabytes(settings.IMPORT_MAX_BYTES),
        },
    )


@for_roles(*ALL_ROLES)
def template_xlsx(request: HttpRequest, key: str) -> HttpResponse:
    rt = _editable(request, key)
    return _download(imports.template_xlsx(rt, request.user), XLSX, f"{rt.key}-template.xlsx")


@for_roles(*ALL_ROLES)
def template_csv(request: HttpRequest, key: str) -> HttpResponse:
    rt = _editable(request, key)
    return _download(imports.template_csv(rt, request.user), "text/csv; charset=utf-8", f"{rt.key}-template.csv")


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.safe_filename(filename)}"'
    return response


@for_roles(*ALL_ROLES)
def job(request: HttpRequest, job: Any) -> HttpResponse:
    # Someone else's job is "not found", not "forbidden": its id says nothing to anyone else.
    item = get_object_or_404(ImportJob, pk=job, owner_id=request.user.pk)
    if imports.settle_stalled(ImportJob.objects.filter(pk=item.pk)):
        item.refresh_from_db()
    try:
        rt: RecordType | None = types.get(item.record_type)
    except KeyError:
        rt = None
    response = render(request, "records/import_job.html", {"job": item, "rt": rt})
    if not item.finished:
        response["Refresh"] = "2"  # as the page's meta refresh: works without JavaScript
    return response

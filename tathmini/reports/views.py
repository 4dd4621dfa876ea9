"""Management pages: scorecards, the indicator performance tracking table, indicator charts, the
M&E reports (HTML, PDF, XLSX) and the data-quality page.

Who sees what (docs/reports.md): scorecards, the tracking table, charts and reports are for the
Agency's staff roles. A manager's scorecard opens on their own org unit; they may open the
Agency's and every other unit's, because the plan's performance is shared across management.
Only the M&E officer writes and publishes reports; the data-quality page is for the M&E officer
and the administrator. A published report marked public may be read by anyone.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tathmini.accounts.roles import Role
from tathmini.core import periods as P
from tathmini.core.access import for_roles, public
from tathmini.measure.models import Value
from tathmini.measure.views import BY as DIMENSIONS
from tathmini.measure.views import group_labels
from tathmini.records.exports import safe_filename
from tathmini.registry.models import Institution, Region
from tathmini.reports import files, quality, selectors, services, snapshot, xlsx
from tathmini.reports.forms import ReportCreateForm, ReportEditForm
from tathmini.reports.models import Report
from tathmini.strategy import selectors as plan_selectors
from tathmini.strategy.models import Objective, OrgUnit, Plan

STAFF = (Role.ADMINISTRATOR, Role.ME_OFFICER, Role.AGENCY_OFFICER, Role.MANAGER)
QUALITY = (Role.ME_OFFICER, Role.ADMINISTRATOR)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOAD_TYPES = {"pdf": "application/pdf", "xlsx": XLSX_TYPE}
AGENCY = "agency"  # the ?unit= value that asks for the whole Agency


def _plan() -> Plan:
    plan = plan_selectors.current_plan()
    if plan is None:
        raise Http404("no current plan")
    return plan


def _year_codes(plan: Plan) -> list[str]:
    return list(plan.fiscal_years.values_list("code", flat=True))


def _period(request: HttpRequest, plan: Plan) -> P.Period:
    """?year=2014/15&quarter=2 → that quarter; ?year= alone → the year; nothing → the default."""
    years = _year_codes(plan)
    year = request.GET.get("year", "")
    if year not in years:
        found = selectors.default_period(plan)
        if found is None:
            raise Http404("the plan has no fiscal years")
        year = found.code
    quarter = request.GET.get("quarter", "")
    fy = P.parse(year)
    if quarter in ("1", "2", "3", "4"):
        return P.quarter(fy.start.year, int(quarter))
    return fy


def _unit(request: HttpRequest, default_own: bool) -> OrgUnit | None:
    code = request.GET.get("unit")
    if code is None and default_own:
        user = request.user
        if Role.MANAGER in getattr(user, "roles", ()):
            return getattr(user, "org_unit", None)
        return None
    if not code or code == AGENCY:
        return None
    return get_object_or_404(OrgUnit, code=code)


def _unit_options(first: P.Period, last: P.Period | None = None) -> list[dict[str, Any]]:
    """Units that existed at the start or the end of the span (a unit closed mid-year still reports)."""
    seen: set[int] = set()
    out = []
    tree = plan_selectors.org_unit_tree(first.start) + plan_selectors.org_unit_tree((last or first).end)
    for unit, depth in tree:
        if unit.pk in seen:
            continue
        seen.add(unit.pk)
        out.append({"code": unit.code, "name": unit.name, "indent": "· " * depth, "kind": unit.get_kind_display()})
    return out


# --- scorecard ------------------------------------------------------------------------------------
@for_roles(*STAFF)
def scorecard(request: HttpRequest) -> HttpResponse:
    plan = _plan()
    period = _period(request, plan)
    org_unit = _unit(request, default_own=True)
    return render(
        request,
        "reports/scorecard.html",
        {
            "plan": plan,
            "card": snapshot.scorecard(plan, period, org_unit),
            "period": period,
            "year": period.fiscal_year.code,
            "quarter": period.code[-1] if period.kind == "quarter" else "",
            "years": _year_codes(plan),
            "org_unit": org_unit,
            "units": _unit_options(period),
            "agency": AGENCY,
        },
    )


# --- indicator performance tracking table -------------------------------------------------------
def _tracking_args(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    kind = request.GET.get("kind", "year")
    kind = kind if kind in ("year", "quarter") else "year"
    years = _year_codes(plan)
    year = request.GET.get("year", "")
    year = year if year in years else ""
    periods = None
    if kind == "quarter" and year:
        periods = P.quarters_of(P.parse(year))
    objective = None
    if code := request.GET.get("objective", ""):
        objective = get_object_or_404(Objective, plan=plan, code=code)
    org_unit = _unit(request, default_own=False)
    by = request.GET.get("by", "")
    by = by if by in ("category", "region") else ""
    group = request.GET.get("group", "") if by else ""
    group_by = "org_unit" if request.GET.get("group_by") == "org_unit" else "objective"
    return {
        "kind": kind,
        "year": year,
        "periods": periods,
        "objective": objective,
        "org_unit": org_unit,
        "by": by,
        "group": group,
        "group_by": group_by,
    }


def _tracking_table(plan: Plan, args: dict[str, Any]) -> dict[str, Any]:
    return snapshot.tracking(
        plan,
        args["kind"],
        org_unit=args["org_unit"],
        objective=args["objective"],
        dimension=args["by"],
        group=args["group"],
        periods=args["periods"],
        group_by=args["group_by"],
    )


@for_roles(*STAFF)
def tracking(request: HttpRequest) -> HttpResponse:
    plan = _plan()
    args = _tracking_args(request, plan)
    groups: dict[str, list[tuple[str, str]]] = {
        "category": [(k, str(v)) for k, v in Institution.Category.choices],
        "region": list(Region.objects.order_by("name").values_list("code", "name")),
    }
    group_label = ""
    if args["by"] and args["group"]:
        group_label = group_labels(args["by"], [args["group"]])[args["group"]]
    years = _year_codes(plan)
    return render(
        request,
        "reports/tracking.html",
        {
            "plan": plan,
            "table": _tracking_table(plan, args),
            "args": args,
            "years": years,
            "objectives": plan.objectives.all(),
            "units": _unit_options(P.parse(years[0]), P.parse(years[-1])) if years else [],
            "dimensions": [(k, v) for k, v in DIMENSIONS.items() if k in ("category", "region")],
            "groups": groups,
            "group_label": group_label,
            "query": request.GET.urlencode(),
            "agency": AGENCY,
        },
    )


@for_roles(*STAFF)
def tracking_xlsx(request: HttpRequest) -> HttpResponse:
    plan = _plan()
    args = _tracking_args(request, plan)
    title = _("Tracking table")
    parts = [plan.code, "iptt", args["kind"], args["year"], args["objective"].code if args["objective"] else ""]
    parts += [args["org_unit"].code if args["org_unit"] else "", args["by"], args["group"]]
    name = safe_filename("-".join(p.replace("/", "-") for p in parts if p))
    response = HttpResponse(xlsx.tracking_xlsx(_tracking_table(plan, args), title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# --- one indicator's charts -------------------------------------------------------------------
@for_roles(*STAFF)
def indicator_charts(request: HttpRequest, code: str) -> HttpResponse:
    plan = _plan()
    indicator = get_object_or_404(plan.indicators.select_related("objective"), code=code)
    org_unit = _unit(request, default_own=False)
    found = selectors.indicator_charts(plan, ("year", "quarter"), org_unit, codes=[code])
    return render(
        request,
        "reports/indicator.html",
        {
            "plan": plan,
            "indicator": indicator,
            "org_unit": org_unit,
            "year_chart": snapshot.chart(found["year"][code], "year"),
            "quarter_chart": snapshot.chart(found["quarter"][code], "quarter"),
        },
    )


# --- M&E reports --------------------------------------------------------------------------------
def _report(pk: int) -> Report:
    return get_object_or_404(Report.objects.select_related("plan", "published_by", "created_by"), pk=pk)


@for_roles(*STAFF)
def report_list(request: HttpRequest) -> HttpResponse:
    plan = _plan()
    return render(
        request,
        "reports/report_list.html",
        {
            "plan": plan,
            "reports": Report.objects.filter(plan=plan).select_related("published_by"),
            "can_edit": services.may_edit(request.user),
        },
    )


@for_roles(Role.ME_OFFICER)
def report_create(request: HttpRequest) -> HttpResponse:
    plan = _plan()
    form = ReportCreateForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_create(
                plan,
                data["kind"],
                data["period"],
                data["language"],
                request.user,
                {name: data[name] for name in services.NARRATIVE},
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("The draft report is created; its numbers follow the data until you publish it.")
            )
            return redirect(report)
    return render(request, "reports/report_form.html", {"form": form, "plan": plan, "report": None})


@for_roles(*STAFF)
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    return render(
        request,
        "reports/report_detail.html",
        {"report": report, "c": services.content(report), "can_edit": services.may_edit(request.user)},
    )


@for_roles(Role.ME_OFFICER)
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    if report.is_published:
        messages.error(request, _("A published report is frozen: it cannot be changed."))
        return redirect(report)
    form = ReportEditForm(request.POST or None, instance=Report.objects.get(pk=report.pk))
    if request.method == "POST" and form.is_valid():
        services.report_update(report, request.user, **{name: form.cleaned_data[name] for name in form.fields})
        messages.success(request, _("The report is saved."))
        return redirect(report)
    return render(request, "reports/report_form.html", {"form": form, "plan": report.plan, "report": report})


@for_roles(Role.ME_OFFICER)
@require_POST
def report_publish(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    try:
        services.report_publish(report, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The report is published: its numbers are frozen as they are now."))
    return redirect(report)


@for_roles(Role.ME_OFFICER)
@require_POST
def report_delete(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    try:
        services.report_delete(report, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(report)
    messages.success(request, _("The draft report is deleted."))
    return redirect("reports:list")


def _download(report: Report, suffix: str) -> HttpResponse:
    # A published report's file is rendered once and then served as kept (files.py).
    response = HttpResponse(files.report_file(report, suffix), content_type=DOWNLOAD_TYPES[suffix])
    response["Content-Disposition"] = f'attachment; filename="{report.file_stem()}.{suffix}"'
    return response


@for_roles(*STAFF)
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(_report(pk), "pdf")


@for_roles(*STAFF)
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(_report(pk), "xlsx")


def _public_report(pk: int) -> Report:
    report = _report(pk)
    if not (report.is_published and report.is_public):
        raise Http404("not a public report")
    return report


@public
def public_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = _public_report(pk)
    return render(request, "reports/report_detail.html", {"report": report, "c": report.snapshot, "public": True})


@public
def public_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(_public_report(pk), "pdf")


# --- data quality ---------------------------------------------------------------------------------
@for_roles(*QUALITY)
def data_quality(request: HttpRequest) -> HttpResponse:
    plan = _plan()
    period = _period(request, plan)
    return render(
        request,
        "reports/quality.html",
        {
            "plan": plan,
            "period": period,
            "year": period.fiscal_year.code,
            "quarter": period.code[-1] if period.kind == "quarter" else "",
            "years": _year_codes(plan),
            "late": quality.late_returns(period),
            "outliers": quality.outliers(plan),
            "missing": quality.missing_values(plan, period),
            "dimension_label": dict(Value.Dimension.choices),
        },
    )

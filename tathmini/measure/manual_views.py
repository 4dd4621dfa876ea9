"""Pages for manual indicator values: the list (with "awaiting my review"), the form, the detail
page with its history and the actions the reader may take, and the evidence download.

The rules live in ``tathmini.measure.manual``; these views validate input, call its services and
show what they refuse.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tathmini.accounts.roles import Role
from tathmini.core.access import for_roles
from tathmini.core.safeinput import SafeTextFormMixin
from tathmini.measure import manual
from tathmini.measure.models import ManualValue
from tathmini.records.selectors import audit_history
from tathmini.strategy.models import Indicator, OrgUnit, Plan
from tathmini.strategy.selectors import current_plan

PAGE_SIZE = 50
STAFF = manual.READERS


def _plan() -> Plan:
    plan = current_plan()
    if plan is None:
        raise Http404(_("No plan is loaded."))
    return plan


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class ManualValueForm(SafeTextFormMixin, forms.Form):
    indicator = IndicatorChoiceField(queryset=Indicator.objects.none(), label=gettext_lazy("Indicator"))
    period = forms.ChoiceField(label=gettext_lazy("Period"))
    org_unit = forms.ModelChoiceField(
        queryset=OrgUnit.objects.order_by("code"),
        required=False,
        label=gettext_lazy("Org unit"),
        empty_label=gettext_lazy("The whole Agency"),
    )
    value = forms.DecimalField(
        label=gettext_lazy("Value"),
        max_digits=24,
        decimal_places=6,
        required=False,
        help_text=gettext_lazy("In the indicator's unit, e.g. 75 for 75%. Leave empty for a narrative only."),
    )
    narrative = forms.CharField(
        label=gettext_lazy("Narrative"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=gettext_lazy("What happened in the period, and how the value was arrived at."),
    )
    evidence_file = forms.FileField(
        label=gettext_lazy("Evidence file"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ",".join(manual.EVIDENCE_TYPES)}),
    )
    remove_evidence = forms.BooleanField(label=gettext_lazy("Remove the current file"), required=False)
    evidence_link = forms.URLField(
        label=gettext_lazy("Evidence link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("An address where the evidence can be read, if not a file."),
    )

    def __init__(self, *args: Any, plan: Plan, user: Any, instance: ManualValue | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["indicator"].queryset = manual.enterable_indicators(user, plan)  # type: ignore[attr-defined]
        self.fields["period"].choices = manual.period_choices(plan)  # type: ignore[attr-defined]
        self.fields["evidence_file"].help_text = _(
            "PDF, PNG, JPG, DOCX, XLSX or CSV, at most %(limit)s. "
            "Evidence is required before submitting: a file or a link."
        ) % {"limit": filesizeformat(settings.MANUAL_EVIDENCE_MAX_BYTES)}
        if instance is None or not instance.evidence_file:
            del self.fields["remove_evidence"]

    def clean_evidence_file(self) -> Any:
        upload = self.cleaned_data.get("evidence_file")
        if upload:
            manual.validate_evidence(upload)
        return upload or None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        empty = data.get("value") is None and not (data.get("narrative") or "").strip()
        if empty and "value" not in self.errors:
            raise ValidationError(_("Give a value, a narrative, or both."))
        return data

    def entry(self) -> manual.Entry:
        data = self.cleaned_data
        return manual.Entry(
            indicator=data["indicator"],
            period=data["period"],
            org_unit=data.get("org_unit"),
            value=data.get("value"),
            narrative=data.get("narrative") or "",
            evidence_link=data.get("evidence_link") or "",
            evidence_file=data.get("evidence_file"),
            remove_evidence=bool(data.get("remove_evidence")),
        )


class ReturnForm(SafeTextFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for returning it"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy("Say why it is returned: whoever entered it needs to know what to fix.")
        },
    )


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any")), *ManualValue.Status.choices],
    )
    indicator = IndicatorChoiceField(
        queryset=Indicator.objects.none(),
        required=False,
        label=gettext_lazy("Indicator"),
        empty_label=gettext_lazy("Any"),
    )
    period = forms.ChoiceField(label=gettext_lazy("Period"), required=False)
    review = forms.BooleanField(label=gettext_lazy("Awaiting my review"), required=False)

    def __init__(self, *args: Any, plan: Plan, reviewer: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = plan.indicators.order_by("order", "code")  # type: ignore[attr-defined]
        self.fields["period"].choices = [("", _("Any")), *manual.period_choices(plan)]  # type: ignore[attr-defined]
        if not reviewer:
            del self.fields["review"]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "indicator": data.get("indicator"),
            "period": data.get("period") or "",
            "awaiting_my_review": bool(data.get("review")),
        }

    def has_filters(self) -> bool:
        return any(self.filters().values())


def _value_or_404(pk: int) -> ManualValue:
    return get_object_or_404(manual.values_for_display(), pk=pk)


def _refusal(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@for_roles(*STAFF)
def value_list(request: HttpRequest) -> HttpResponse:
    plan = _plan()
    reviewer = request.user.is_superuser or request.user.has_role(Role.ME_OFFICER)  # type: ignore[union-attr]
    form = FilterForm(request.GET, plan=plan, reviewer=reviewer)
    page = Paginator(manual.list_values(request.user, **form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "measure/manual_list.html",
        {
            "form": form,
            "page": page,
            "values": page.object_list,
            "can_create": manual.may_create_any(request.user),
            "reviewer": reviewer,
            "awaiting": manual.awaiting_review(request.user).count() if reviewer else 0,
        },
    )


@for_roles(*STAFF)
def value_create(request: HttpRequest) -> HttpResponse:
    plan = _plan()
    if not manual.may_create_any(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = ManualValueForm(request.POST, request.FILES, plan=plan, user=request.user)
        if form.is_valid():
            try:
                mv = manual.manual_value_create(form.entry(), actor=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved as a draft: %(value)s.") % {"value": mv})
                return redirect("manual:detail", mv.pk)
    else:
        # "Correct an approved value" arrives with its indicator, period and unit filled in.
        initial = {key: request.GET[key] for key in ("indicator", "period", "org_unit") if request.GET.get(key)}
        form = ManualValueForm(initial=initial, plan=plan, user=request.user)
    return render(request, "measure/manual_form.html", {"form": form, "mv": None})


@for_roles(*STAFF)
def value_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mv = _value_or_404(pk)
    if not manual.may_enter(request.user, mv.indicator):
        raise PermissionDenied
    if not manual.may_edit(request.user, mv):
        messages.error(request, manual.why_not_editable(mv))
        return redirect("manual:detail", mv.pk)
    plan = mv.indicator.plan
    if request.method == "POST":
        form = ManualValueForm(request.POST, request.FILES, plan=plan, user=request.user, instance=mv)
        if form.is_valid():
            try:
                mv = manual.manual_value_update(mv, form.entry(), actor=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved: %(value)s.") % {"value": mv})
                return redirect("manual:detail", mv.pk)
    else:
        form = ManualValueForm(
            initial={
                "indicator": mv.indicator_id,
                "period": mv.period,
                "org_unit": mv.org_unit_id,
                "value": mv.value,
                "narrative": mv.narrative,
                "evidence_link": mv.evidence_link,
            },
            plan=plan,
            user=request.user,
            instance=mv,
        )
    return render(request, "measure/manual_form.html", {"form": form, "mv": mv})


@for_roles(*STAFF)
def value_delete(request: HttpRequest, pk: int) -> HttpResponse:
    mv = _value_or_404(pk)
    if not manual.may_enter(request.user, mv.indicator):
        raise PermissionDenied
    if not manual.may_edit(request.user, mv):
        messages.error(request, manual.why_not_editable(mv))
        return redirect("manual:detail", mv.pk)
    if request.method == "POST":
        label = str(mv)
        try:
            manual.manual_value_delete(mv, actor=request.user)
        except ValidationError as error:
            _refusal(request, error)
            return redirect("manual:detail", mv.pk)
        messages.success(request, _("Deleted: %(value)s.") % {"value": label})
        return redirect("manual:list")
    return render(request, "measure/manual_confirm_delete.html", {"mv": mv})


def _detail(request: HttpRequest, mv: ManualValue, return_form: ReturnForm | None = None) -> HttpResponse:
    beside = manual.computed_beside(mv)
    return render(
        request,
        "measure/manual_detail.html",
        {
            "mv": mv,
            "actions": manual.actions_for(request.user, mv),
            "return_form": return_form or ReturnForm(),
            "history": audit_history(mv),
            "has_definition": manual.has_definition(mv.indicator),
            "beside": beside,
            "superseded_by": getattr(mv, "superseded_by", None) if mv.status == ManualValue.Status.SUPERSEDED else None,
            "evidence_name": mv.evidence_name or PurePath(mv.evidence_file.name or "").name,
        },
    )


@for_roles(*STAFF)
def value_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _value_or_404(pk))


@for_roles(*STAFF)
@require_POST
def value_submit(request: HttpRequest, pk: int) -> HttpResponse:
    mv = _value_or_404(pk)
    try:
        manual.manual_value_submit(mv, actor=request.user)
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Submitted for review."))
    return redirect("manual:detail", mv.pk)


@for_roles(Role.ME_OFFICER)
@require_POST
def value_return(request: HttpRequest, pk: int) -> HttpResponse:
    mv = _value_or_404(pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _detail(request, mv, return_form=form)
    try:
        manual.manual_value_return(mv, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        if hasattr(error, "error_dict") and "reason" in error.error_dict:
            form.add_error("reason", error.error_dict["reason"])
            return _detail(request, mv, return_form=form)
        _refusal(request, error)
    else:
        messages.success(request, _("Returned with your reason."))
    return redirect("manual:detail", mv.pk)


@for_roles(Role.ME_OFFICER)
@require_POST
def value_approve(request: HttpRequest, pk: int) -> HttpResponse:
    mv = _value_or_404(pk)
    try:
        manual.manual_value_approve(mv, actor=request.user)
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Approved; the value is now locked."))
    return redirect("manual:detail", mv.pk)


@for_roles(*STAFF)
def value_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The evidence file, as a download, to staff only: it is never a public static file."""
    mv = get_object_or_404(ManualValue, pk=pk)
    if not mv.evidence_file:
        raise Http404(_("This value has no evidence file."))
    try:
        handle = mv.evidence_file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The evidence file is missing from storage.")) from None
    stored = PurePath(mv.evidence_file.name or "")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=mv.evidence_name or stored.name,
        content_type=manual.EVIDENCE_TYPES.get(stored.suffix.lower(), "application/octet-stream"),
    )
    response["Cache-Control"] = "private, no-store"
    return response

"""The M&E officer's editing of the plan where no dedicated screen exists: the risk register and
org units are data the published plan leaves to the Agency. Baselines and targets have their page
(``measure:targets``); the inlines here use its formsets, so they refuse a save from a stale copy
and audit every change in the same way."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tathmini.core.models import AuditEvent
from tathmini.strategy import models as m
from tathmini.strategy import targets


class TargetInline(admin.TabularInline):
    model = m.Target
    form = targets.TargetForm
    formset = targets.TargetFormSet
    extra = 0


class BaselineInline(admin.TabularInline):
    model = m.Baseline
    form = targets.BaselineForm
    formset = targets.BaselineFormSet
    extra = 0


@admin.register(m.Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_sw", "unit", "direction", "objective", "responsible_unit", "plan"]
    list_filter = ["plan", "kind", "unit", "direction"]
    search_fields = ["code", "name_sw", "name_en"]
    filter_horizontal = ["strategies"]
    inlines = [BaselineInline, TargetInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if isinstance(formset, targets.RowFormSet):
            targets.save(formset, actor=request.user, channel=AuditEvent.Channel.WEB)
        else:
            super().save_formset(request, form, formset, change)


@admin.register(m.Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["code", "text_sw", "likelihood", "impact", "status", "plan"]
    list_filter = ["plan", "status"]
    filter_horizontal = ["strategies"]


@admin.register(m.OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name_sw", "kind", "parent", "valid_from", "valid_to", "illustrative"]
    list_filter = ["kind", "illustrative"]
    search_fields = ["code", "name_sw", "name_en"]


@admin.register(m.Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name_sw", "is_current"]


for model in (
    m.Objective,
    m.Strategy,
    m.ExpectedResult,
    m.CoreValue,
    m.Mandate,
    m.AlignmentItem,
    m.StrategicResult,
    m.ApproachRule,
    m.FiscalYear,
    m.Client,
):
    admin.site.register(model, list_display=["code", "__str__", "plan"], list_filter=["plan"])

"""The M&E officer's editing of the plan until dedicated screens exist: baselines, targets,
the risk register and org units are the data the published plan leaves to the Agency."""

from django.contrib import admin

from tathmini.strategy import models as m


class TargetInline(admin.TabularInline):
    model = m.Target
    extra = 0


class BaselineInline(admin.TabularInline):
    model = m.Baseline
    extra = 0


@admin.register(m.Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_sw", "unit", "direction", "objective", "responsible_unit", "plan"]
    list_filter = ["plan", "kind", "unit", "direction"]
    search_fields = ["code", "name_sw", "name_en"]
    filter_horizontal = ["strategies"]
    inlines = [BaselineInline, TargetInline]


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

"""Indicator definitions (versioned data), the values computed from them, and the refresh state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Definition(models.Model):
    """One version of an indicator's definition. The newest version is the one in force; older
    versions stay so that every stored value can say which definition produced it."""

    indicator = models.ForeignKey(
        "strategy.Indicator", on_delete=models.CASCADE, related_name="definitions", verbose_name=_("indicator")
    )
    version = models.PositiveIntegerField(_("version"))
    spec = models.JSONField(_("definition"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator definition")
        verbose_name_plural = _("indicator definitions")
        ordering = ["indicator", "-version"]
        constraints = [models.UniqueConstraint(fields=["indicator", "version"], name="definition_version_unique")]

    def __str__(self) -> str:
        return f"{self.indicator.code} v{self.version}"


class Value(models.Model):
    """An indicator's value for one period and one group (the whole Agency when ``dimension`` is
    empty). Numerator and denominator are kept, so percentages and means roll up as ratios of
    sums; ``value`` is empty when the denominator is zero (no value, not 0)."""

    class Dimension(models.TextChoices):
        TOTAL = "", _("All")
        CATEGORY = "category", _("Institution category")
        REGION = "region", _("Region")
        ORG_UNIT = "org_unit", _("Responsible org unit")

    indicator = models.ForeignKey("strategy.Indicator", on_delete=models.CASCADE, related_name="values")
    definition = models.ForeignKey(Definition, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    period = models.CharField(_("period"), max_length=12)  # 2012/13, 2012/13-Q1, 2013-01
    period_kind = models.CharField(_("period kind"), max_length=8)
    period_start = models.DateField()
    period_end = models.DateField()
    dimension = models.CharField(_("disaggregation"), max_length=10, choices=Dimension.choices, blank=True)
    group = models.CharField(_("group"), max_length=100, blank=True)  # category code, region code, org-unit id
    numerator = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    denominator = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6, null=True)
    extras = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator", "period_start", "period_kind", "dimension", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "dimension", "group"], name="one_value_per_period_group"
            )
        ]
        indexes = [models.Index(fields=["indicator", "period_kind", "dimension"])]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period} {self.dimension}:{self.group} = {self.value}"


class OrgUnitLink(models.Model):
    """The org-unit tree as ancestor/descendant pairs (each unit is its own ancestor at depth 0),
    so one GROUP BY gives every level's value directly from the records."""

    ancestor = models.ForeignKey("strategy.OrgUnit", on_delete=models.CASCADE, related_name="+")
    descendant = models.ForeignKey("strategy.OrgUnit", on_delete=models.CASCADE, related_name="+")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ancestor", "descendant"], name="org_unit_link_unique")]

    def __str__(self) -> str:
        return f"{self.ancestor_id} ⊇ {self.descendant_id}"


class RefreshRun(models.Model):
    """A refresh of indicator values: what it set out to do and what it has finished (its
    watermark), so an interrupted run is resumed instead of started over."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=100, blank=True)  # "command", "change: complaints", …
    pending = models.JSONField(default=list)  # indicator codes still to do
    done = models.JSONField(default=list)
    periods = models.JSONField(default=list)  # period codes; empty means all of the plan's
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"

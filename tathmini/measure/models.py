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


class ManualValue(models.Model):
    """A value or narrative reported by hand for an indicator, with its evidence, through
    draft → submitted → (returned → submitted …) → approved. The rules, and how an approved value
    reaches the stored values, are in ``tathmini/measure/manual.py``; every write goes through it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")
        SUPERSEDED = "superseded", _("Superseded")

    indicator = models.ForeignKey(
        "strategy.Indicator", on_delete=models.CASCADE, related_name="manual_values", verbose_name=_("indicator")
    )
    period = models.CharField(_("period"), max_length=12)  # 2012/13, 2012/13-Q1, 2013-01
    period_kind = models.CharField(_("period kind"), max_length=8)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    org_unit = models.ForeignKey(
        "strategy.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="manual_values",
        verbose_name=_("org unit"),
        help_text=_("Empty: the value of the whole Agency."),
    )
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6, null=True, blank=True)
    narrative = models.TextField(_("narrative"), blank=True)
    # Stored under a random name in MEDIA_ROOT/evidence/ and served only by a view that checks access.
    evidence_file = models.FileField(_("evidence file"), upload_to="evidence/", max_length=200, blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=255, blank=True)  # as uploaded
    evidence_link = models.URLField(_("evidence link"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    return_reason = models.TextField(_("reason for return"), blank=True)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    # Everyone who wrote its content (creator, editors, submitter): none of them may review it.
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("manual value")
        verbose_name_plural = _("manual values")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__isnull=False) | ~models.Q(narrative=""), name="manualvalue_value_or_narrative"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="returned") | ~models.Q(return_reason=""), name="manualvalue_return_reason"
            ),
            # One approved value per indicator, period and unit; NULL org units need their own
            # constraint because NULLs never collide in a unique index.
            models.UniqueConstraint(
                fields=["indicator", "period", "org_unit"],
                condition=models.Q(status="approved", org_unit__isnull=False),
                name="manualvalue_one_approved_per_unit",
            ),
            models.UniqueConstraint(
                fields=["indicator", "period"],
                condition=models.Q(status="approved", org_unit__isnull=True),
                name="manualvalue_one_approved_for_agency",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "indicator"]),
            models.Index(fields=["indicator", "period"]),
        ]

    def __str__(self) -> str:
        where = f" · {self.org_unit}" if self.org_unit_id else ""
        return f"{self.indicator.code} {self.period}{where}"

    @property
    def is_locked(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.SUPERSEDED)

    @property
    def value_text(self) -> str:
        """The value as typed: 72.5, not the stored 72.500000."""
        return "" if self.value is None else format(self.value.normalize(), "f")

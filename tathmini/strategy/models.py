"""The strategic plan as data: what the plan says, and the Agency's structure that carries it out.

One database holds several plans (each with its own codes); exactly one is current. The plan's
texts are stored in Swahili and English (``*_sw`` / ``*_en``); ``plan_io`` reads and writes the
YAML plan format (docs/plan-format.md). Baselines and targets are the M&E officer's data: the
published plan has none.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tathmini.core import periods
from tathmini.core.i18n import bilingual, text_fields


class Plan(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    is_current = models.BooleanField(_("current plan"), default=False)
    name_sw, name_en = text_fields(_("name"))
    organisation_sw, organisation_en = text_fields(_("organisation"))
    organisation_abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)
    operational_from = models.DateField(_("operational from"), null=True, blank=True)
    concept_sw, concept_en = text_fields(_("concept"), long=True)
    vision_sw, vision_en = text_fields(_("vision"), long=True)
    mission_sw, mission_en = text_fields(_("mission"), long=True)
    development_objective_sw, development_objective_en = text_fields(_("development objective"), long=True)
    main_goal_sw, main_goal_en = text_fields(_("main goal"), long=True)
    general_results_sw, general_results_en = text_fields(_("general results"), long=True)
    me_approach_sw, me_approach_en = text_fields(_("M&E approach"), long=True)

    name = bilingual("name")
    organisation = bilingual("organisation")
    concept = bilingual("concept")
    vision = bilingual("vision")
    mission = bilingual("mission")
    development_objective = bilingual("development_objective")
    main_goal = bilingual("main_goal")
    general_results = bilingual("general_results")
    me_approach = bilingual("me_approach")

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["code"]
        constraints = [
            # At most one current plan: the one the product shows by default.
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_plan"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("strategy:map", args=[self.code])

    @property
    def first_year(self) -> FiscalYear | None:
        return self.fiscal_years.order_by("starts_on").first()

    @property
    def last_year(self) -> FiscalYear | None:
        return self.fiscal_years.order_by("starts_on").last()


class PlanElement(models.Model):
    """Something a plan lists under a code (``O1``, ``S1.1``, ``K01`` …), unique within the plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+", verbose_name=_("plan"))
    code = models.CharField(_("code"), max_length=20)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        label = getattr(self, "name", None) or getattr(self, "text", "")
        return f"{self.code} {label}"


def _unique_code(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["plan", "code"], name=f"{name}_code_unique_in_plan")


class FiscalYear(PlanElement):
    """A fiscal year the plan covers (1 July – 30 June); targets are set per year."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="fiscal_years", verbose_name=_("plan"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta(PlanElement.Meta):
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        ordering = ["starts_on"]
        constraints = [_unique_code("fiscalyear")]

    def __str__(self) -> str:
        return self.code

    @property
    def period(self) -> periods.Period:
        return periods.parse(self.code)


class Client(PlanElement):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="clients", verbose_name=_("plan"))
    name_sw, name_en = text_fields(_("name"))
    name = bilingual("name")

    class Meta(PlanElement.Meta):
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [_unique_code("client")]


class Mandate(PlanElement):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="mandates", verbose_name=_("plan"))
    text_sw, text_en = text_fields(_("text"), long=True)
    text = bilingual("text")

    class Meta(PlanElement.Meta):
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        constraints = [_unique_code("mandate")]


class CoreValue(PlanElement):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="values", verbose_name=_("plan"))
    name_sw, name_en = text_fields(_("name"))
    meaning_sw, meaning_en = text_fields(_("meaning"), long=True)
    name = bilingual("name")
    meaning = bilingual("meaning")

    class Meta(PlanElement.Meta):
        verbose_name = _("core value")
        verbose_name_plural = _("core values")
        constraints = [_unique_code("corevalue")]


class Objective(PlanElement):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives", verbose_name=_("plan"))
    name_sw, name_en = text_fields(_("name"))
    name = bilingual("name")

    class Meta(PlanElement.Meta):
        verbose_name = _("strategic objective")
        verbose_name_plural = _("strategic objectives")
        constraints = [_unique_code("objective")]

    def get_absolute_url(self) -> str:
        return reverse("strategy:objective", args=[self.plan.code, self.code])


class Strategy(PlanElement):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="strategies", verbose_name=_("plan"))
    objective = models.ForeignKey(
        Objective, on_delete=models.CASCADE, related_name="strategies", verbose_name=_("objective")
    )
    name_sw, name_en = text_fields(_("name"))
    name = bilingual("name")

    class Meta(PlanElement.Meta):
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        constraints = [_unique_code("strategy")]

    def get_absolute_url(self) -> str:
        return reverse("strategy:strategy", args=[self.plan.code, self.code])


class ExpectedResult(PlanElement):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="expected_results", verbose_name=_("plan"))
    name_sw, name_en = text_fields(_("name"), long=True)
    name = bilingual("name")

    class Meta(PlanElement.Meta):
        verbose_name = _("expected result")
        verbose_name_plural = _("expected results")
        constraints = [_unique_code("expectedresult")]

    def get_absolute_url(self) -> str:
        return reverse("strategy:result", args=[self.plan.code, self.code])


class Challenge(PlanElement):
    """A challenge the plan addresses, kept as a risk register entry.

    The published plan lists the challenges; likelihood, impact, status and mitigation are the
    Agency's own assessment over the plan's life, so they start empty.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MITIGATING = "mitigating", _("Being addressed")
        CLOSED = "closed", _("Closed")

    LEVELS = [(n, str(n)) for n in range(1, 6)]

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="challenges", verbose_name=_("plan"))
    text_sw, text_en = text_fields(_("text"), long=True)
    strategies = models.ManyToManyField(
        Strategy, related_name="challenges", blank=True, verbose_name=_("strategies that address it")
    )
    likelihood = models.PositiveSmallIntegerField(_("likelihood (1–5)"), choices=LEVELS, null=True, blank=True)
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"), choices=LEVELS, null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    mitigation_sw, mitigation_en = text_fields(_("mitigation"), long=True, blank=True)
    text = bilingual("text")
    mitigation = bilingual("mitigation")

    class Meta(PlanElement.Meta):
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        constraints = [_unique_code("challenge")]

    def get_absolute_url(self) -> str:
        return reverse("strategy:challenge", args=[self.plan.code, self.code])

    @property
    def risk_score(self) -> int | None:
        if self.likelihood is None or self.impact is None:
            return None
        return self.likelihood * self.impact


class AlignmentItem(PlanElement):
    """What the plan aligns with on its strategy map (national vision, policies, priorities)."""

    class Kind(models.TextChoices):
        NATIONAL_VISION = "national_vision", _("National vision")
        NATIONAL_POLICY = "national_policy", _("National policy")
        DEVELOPMENT_PLAN = "development_plan", _("National development plans")
        SECTOR_STRATEGY = "sector_strategy", _("Sector strategy")
        SECTOR_PRIORITY = "sector_priority", _("Sector priority")
        MAP_CHALLENGE = "map_challenge", _("Challenge on the strategy map")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="alignment", verbose_name=_("plan"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name_sw, name_en = text_fields(_("name"))
    name = bilingual("name")

    class Meta(PlanElement.Meta):
        verbose_name = _("alignment item")
        verbose_name_plural = _("national alignment")
        constraints = [_unique_code("alignmentitem")]


class StrategicResult(PlanElement):
    class Level(models.TextChoices):
        LONG_TERM = "long_term", _("Long-term result")
        MEDIUM_TERM = "medium_term", _("Medium-term result")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="strategic_results", verbose_name=_("plan"))
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    name_sw, name_en = text_fields(_("name"))
    objectives = models.ManyToManyField(
        Objective, related_name="strategic_results", blank=True, verbose_name=_("objectives")
    )
    name = bilingual("name")

    class Meta(PlanElement.Meta):
        verbose_name = _("strategic result")
        verbose_name_plural = _("strategic results")
        constraints = [_unique_code("strategicresult")]


class ApproachRule(PlanElement):
    """A rule of the plan's monitoring-and-evaluation approach (Mkabala)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="approach_rules", verbose_name=_("plan"))
    text_sw, text_en = text_fields(_("text"), long=True)
    text = bilingual("text")

    class Meta(PlanElement.Meta):
        verbose_name = _("M&E approach rule")
        verbose_name_plural = _("M&E approach rules")
        constraints = [_unique_code("approachrule")]


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def valid_on(self, day: date) -> OrgUnitQuerySet:
        """Units that existed on ``day``: a reorganisation closes old units, it does not rewrite them."""
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )


class OrgUnit(models.Model):
    """The Agency's structure: department (Idara) → unit (Kitengo) → section (Sehemu)."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Department")
        UNIT = "unit", _("Unit")
        SECTION = "section", _("Section")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("level"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    name_sw, name_en = text_fields(_("name"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    illustrative = models.BooleanField(
        _("illustrative"), default=False, help_text=_("Demonstration data, not the Agency's real structure.")
    )
    name = bilingual("name")

    objects = OrgUnitQuerySet.as_manager()

    # Which kind of unit may sit under which: a section is never directly under the top.
    ALLOWED_PARENT = {Kind.DEPARTMENT: None, Kind.UNIT: Kind.DEPARTMENT, Kind.SECTION: Kind.UNIT}

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="orgunit_valid_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        expected = self.ALLOWED_PARENT[self.Kind(self.kind)]
        actual = self.parent.kind if self.parent else None
        if expected != actual:
            raise ValidationError(
                {
                    "parent": _("A %(kind)s must sit under a %(parent)s.")
                    % {
                        "kind": self.get_kind_display(),
                        "parent": self.Kind(expected).label if expected else _("nothing (it is top level)"),
                    }
                }
            )

    def ancestors(self) -> list[OrgUnit]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Indicator(PlanElement):
    """A measure the plan tracks: a core indicator (K..) or the measure of an expected result (R..)."""

    class Kind(models.TextChoices):
        CORE = "core", _("Core indicator")
        RESULT = "result", _("Expected-result measure")

    class Unit(models.TextChoices):
        PERCENT = "percent", _("Percent")
        COUNT = "count", _("Count")
        INDEX = "index", _("Index")
        DAYS = "days", _("Days")
        SCORE = "score", _("Score (0–100)")
        CURRENCY = "currency", _("Shillings (TZS)")

    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("plan"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CORE)
    name_sw, name_en = text_fields(_("name"), long=True)
    description_sw, description_en = text_fields(_("description"), long=True)
    unit = models.CharField(_("unit of measure"), max_length=10, choices=Unit.choices)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices, default=Direction.UP)
    # RESTRICT, not PROTECT: an objective (or result) that indicators measure cannot be deleted on
    # its own, but deleting the whole plan takes both with it.
    objective = models.ForeignKey(
        Objective,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("objective"),
    )
    strategies = models.ManyToManyField(Strategy, related_name="indicators", blank=True, verbose_name=_("strategies"))
    expected_result = models.ForeignKey(
        ExpectedResult,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("expected result"),
    )
    responsible_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("responsible org unit"),
    )
    name = bilingual("name")
    description = bilingual("description")

    class Meta(PlanElement.Meta):
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [_unique_code("indicator")]

    def get_absolute_url(self) -> str:
        return reverse("strategy:indicator", args=[self.plan.code, self.code])


class Baseline(models.Model):
    """An indicator's starting value, for the whole Agency (no org unit) or one org unit."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="baselines", verbose_name=_("indicator")
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.RESTRICT, related_name="+", verbose_name=_("fiscal year")
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("org unit")
    )
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)

    class Meta:
        verbose_name = _("baseline")
        verbose_name_plural = _("baselines")
        # NULLs sort first on both databases, so exports come out the same on SQLite and PostgreSQL.
        ordering = ["indicator", "fiscal_year__starts_on", models.F("org_unit__code").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "org_unit"], name="one_baseline_per_unit"),
            models.UniqueConstraint(
                fields=["indicator"], condition=Q(org_unit__isnull=True), name="one_agency_baseline"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.fiscal_year.code}: {self.value}"


class Target(models.Model):
    """An indicator's target for a fiscal year (quarter empty) or one of its quarters."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indicator")
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.RESTRICT, related_name="+", verbose_name=_("fiscal year")
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), null=True, blank=True, choices=[(n, f"Q{n}") for n in range(1, 5)]
    )
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("org unit")
    )
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = [
            "indicator",
            "fiscal_year__starts_on",
            models.F("quarter").asc(nulls_first=True),
            models.F("org_unit__code").asc(nulls_first=True),
        ]
        constraints = [
            # NULLs are distinct in unique constraints on both databases, so the whole-year and
            # whole-Agency cases each get their own partial constraint.
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year", "quarter", "org_unit"], name="one_target_per_slot"
            ),
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year", "org_unit"],
                condition=Q(quarter__isnull=True),
                name="one_year_target_per_unit",
            ),
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year", "quarter"],
                condition=Q(org_unit__isnull=True),
                name="one_agency_target_per_quarter",
            ),
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year"],
                condition=Q(org_unit__isnull=True, quarter__isnull=True),
                name="one_agency_year_target",
            ),
        ]

    def __str__(self) -> str:
        q = f"-Q{self.quarter}" if self.quarter else ""
        return f"{self.indicator.code} {self.fiscal_year.code}{q}: {self.value}"

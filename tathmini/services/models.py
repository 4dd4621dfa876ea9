"""The Agency's own work and resources: advisory and technical-support engagements, budget,
revenue and its establishment of posts (K07, K13–K16, R12, R14)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tathmini.core.periods import FISCAL_YEAR_PATTERN


class Engagement(models.Model):
    """Advice, technical support or a support visit the Agency gave an institution."""

    class Kind(models.TextChoices):
        ADVISORY = "advisory", _("Advisory service")
        TECHNICAL_SUPPORT = "technical_support", _("Technical support")
        SUPPORT_VISIT = "support_visit", _("Support visit")
        TRAINING = "training", _("Training")

    class Service(models.TextChoices):
        SYSTEMS_REVIEW = "systems_review", _("ICT systems review")
        SECURITY = "security_assessment", _("Security assessment")
        DISASTER_RECOVERY = "disaster_recovery", _("Disaster-recovery plan")
        STRATEGY = "ict_strategy", _("ICT strategy and policy")
        ARCHITECTURE = "enterprise_architecture", _("Enterprise architecture")
        PROJECT_REVIEW = "project_review", _("ICT project review")
        HELP_DESK = "help_desk", _("Help-desk issue")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    reference = models.SlugField(_("reference"), max_length=40, unique=True)
    institution = models.ForeignKey(
        "registry.Institution", on_delete=models.PROTECT, related_name="engagements", verbose_name=_("institution")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    service = models.CharField(_("service"), max_length=30, choices=Service.choices, default=Service.OTHER)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    requested_on = models.DateField(_("requested on"))
    started_on = models.DateField(_("started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("officer"),
    )
    org_unit = models.ForeignKey(
        "strategy.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible org unit"),
    )
    fee = models.DecimalField(
        _("fee (TZS)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("advisory or support engagement")
        verbose_name_plural = _("advisory and support engagements")
        ordering = ["-requested_on", "reference"]
        indexes = [models.Index(fields=["completed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True) | Q(completed_on__gte=models.F("requested_on")),
                name="engagement_completed_after_request",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="engagement_satisfaction_1_5",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class BudgetLine(models.Model):
    class Category(models.TextChoices):
        SHARED_RESOURCES = "shared_resources", _("Shared resources")
        PERSONNEL = "personnel", _("Personnel")
        OPERATIONS = "operations", _("Operations")
        DEVELOPMENT = "development", _("Development projects")
        OTHER = "other", _("Other")

    fiscal_year = models.CharField(
        _("fiscal year"), max_length=7, validators=[FISCAL_YEAR_PATTERN], help_text=_("e.g. 2013/14")
    )
    code = models.CharField(_("budget code"), max_length=40)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    org_unit = models.ForeignKey(
        "strategy.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("org unit"),
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    amount = models.DecimalField(_("amount (TZS)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["-fiscal_year", "code"]
        constraints = [models.UniqueConstraint(fields=["fiscal_year", "code"], name="budget_line_natural_key")]

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.code}"


class Revenue(models.Model):
    class Source(models.TextChoices):
        ADVISORY = "advisory_services", _("Advisory services")
        EGOV_SERVICES = "egov_services", _("e-Government services")
        SUBVENTION = "subvention", _("Government subvention")
        OTHER = "other", _("Other")

    reference = models.SlugField(_("receipt number"), max_length=40, unique=True)
    received_on = models.DateField(_("received on"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    amount = models.DecimalField(_("amount (TZS)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)])
    payer = models.ForeignKey(
        "registry.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paid by"),
    )
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("revenue receipt")
        verbose_name_plural = _("revenue")
        ordering = ["-received_on", "reference"]
        indexes = [models.Index(fields=["received_on"])]

    def __str__(self) -> str:
        return self.reference


class PostRecord(models.Model):
    """The Agency's establishment for one position in one org unit, as of a date (K16).

    A new record supersedes the previous one for the same (org unit, position); history stays.
    """

    org_unit = models.ForeignKey(
        "strategy.OrgUnit", on_delete=models.PROTECT, related_name="posts", verbose_name=_("org unit")
    )
    position = models.CharField(_("position"), max_length=120)
    as_of = models.DateField(_("as of"))
    approved = models.PositiveIntegerField(_("approved posts"))
    filled = models.PositiveIntegerField(_("filled posts"))

    class Meta:
        verbose_name = _("establishment record")
        verbose_name_plural = _("establishment (posts)")
        ordering = ["org_unit__code", "position", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "position", "as_of"], name="post_record_natural_key"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit.code} {self.position} {self.as_of}"

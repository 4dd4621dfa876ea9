"""The public institutions the Agency serves and what they report: their e-services, their use
of shared ICT resources, ICT workforce returns, e-Government initiatives, standards compliance and
e-service usage. These are the "existing data sources" the plan's indicators are computed from
(KPI-DEFINITIONS.md names the fields each indicator reads).

Every record that belongs to one institution reaches it through ``institution`` (or
``eservice__institution``): the records framework scopes focal persons by that path.
"""

from __future__ import annotations

from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tathmini.core.i18n import bilingual, text_fields


class Region(models.Model):
    class Zone(models.TextChoices):
        MAINLAND = "mainland", _("Mainland")
        ZANZIBAR = "zanzibar", _("Zanzibar")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    zone = models.CharField(_("zone"), max_length=10, choices=Zone.choices)
    established_on = models.DateField(_("established on"), null=True, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstitutionQuerySet(models.QuerySet["Institution"]):
    def active_on(self, day: date) -> InstitutionQuerySet:
        """Institutions that existed on ``day`` (see KPI-DEFINITIONS: *active institution*)."""
        return self.filter(Q(established_on__isnull=True) | Q(established_on__lte=day)).filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day)
        )


class Institution(models.Model):
    class Category(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        INDEPENDENT_DEPARTMENT = "independent_department", _("Independent department")
        AGENCY = "agency", _("Executive agency")
        REGIONAL_SECRETARIAT = "regional_secretariat", _("Regional secretariat")
        LGA = "lga", _("Local government authority")
        PUBLIC_CORPORATION = "public_corporation", _("Public corporation")
        OTHER = "other", _("Other public institution")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_sw, name_en = text_fields(_("name"))
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="institutions", verbose_name=_("region")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent institution"),
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    illustrative = models.BooleanField(_("illustrative"), default=False, help_text=_("Demonstration data."))
    name = bilingual("name")

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | Q(established_on__isnull=True)
                | Q(dissolved_on__gt=models.F("established_on")),
                name="institution_dissolved_after_established",
            )
        ]

    def __str__(self) -> str:
        return self.name


class FocalPerson(models.Model):
    """A contact at an institution who keeps its records and answers its information requests."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="focal_persons", verbose_name=_("institution")
    )
    name = models.CharField(_("name"), max_length=200)
    position = models.CharField(_("position"), max_length=200, blank=True)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("focal person")
        verbose_name_plural = _("focal persons")
        ordering = ["institution__code", "name"]
        constraints = [models.UniqueConstraint(fields=["institution", "email"], name="focal_person_email_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.institution.code})"


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    MOBILE_APP = "mobile_app", _("Mobile app")
    USSD = "ussd", _("USSD")
    SMS = "sms", _("SMS")
    SERVICE_CENTRE = "service_centre", _("Service centre")


class LifeEvent(models.TextChoices):
    """Catalogue categories, by the moments in life people look for a service."""

    IDENTITY = "identity", _("Identity and civil registration")
    BUSINESS = "business", _("Starting and running a business")
    TAX = "tax", _("Taxes and payments")
    LAND = "land", _("Land and housing")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education")
    EMPLOYMENT = "employment", _("Work and employment")
    TRAVEL = "travel", _("Travel and immigration")
    AGRICULTURE = "agriculture", _("Agriculture")
    TRANSPORT = "transport", _("Transport and vehicles")
    JUSTICE = "justice", _("Justice and security")
    GOVERNMENT = "government", _("Government services to institutions")
    OTHER = "other", _("Other")


def validate_channels(value: str) -> None:
    from django.core.exceptions import ValidationError

    unknown = [c for c in value.split(",") if c and c not in Channel.values]
    if unknown:
        raise ValidationError(
            _("Unknown channel(s): %(unknown)s. Use: %(known)s."),
            params={"unknown": ", ".join(unknown), "known": ", ".join(Channel.values)},
        )


class EServiceQuerySet(models.QuerySet["EService"]):
    def live_on(self, day: date) -> EServiceQuerySet:
        """Launched on or before ``day`` and not yet retired (KPI-DEFINITIONS: *live e-service*)."""
        return self.filter(launched_on__lte=day).filter(Q(retired_on__isnull=True) | Q(retired_on__gt=day))


class EService(models.Model):
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="eservices", verbose_name=_("institution")
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_sw, name_en = text_fields(_("name"))
    description_sw, description_en = text_fields(_("description"), long=True, blank=True)
    how_to_sw, how_to_en = text_fields(_("how to use it"), long=True, blank=True)
    life_event = models.CharField(_("category / life event"), max_length=20, choices=LifeEvent.choices)
    # Comma-separated Channel values: a service has one to five channels, filtered with LIKE.
    channels = models.CharField(_("channels"), max_length=100, validators=[validate_channels])
    url = models.URLField(_("address to monitor"), max_length=500, blank=True)
    fee = models.DecimalField(
        _("fee (TZS)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    launched_on = models.DateField(_("launched on"))
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    illustrative = models.BooleanField(_("illustrative"), default=False)
    name = bilingual("name")
    description = bilingual("description")
    how_to = bilingual("how_to")

    objects = EServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("e-service")
        verbose_name_plural = _("e-services")
        ordering = ["code"]
        indexes = [models.Index(fields=["launched_on", "retired_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(retired_on__isnull=True) | Q(retired_on__gte=models.F("launched_on")),
                name="eservice_retired_after_launch",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]

    def get_channels_display(self) -> str:
        labels = dict(Channel.choices)
        return ", ".join(str(labels.get(c, c)) for c in self.channel_list)


class SharedResource(models.Model):
    """A shared e-Government resource the Agency offers (GovNet, government mail, hosting …)."""

    class Kind(models.TextChoices):
        NETWORK = "network", _("Government network")
        MAIL = "mail", _("Government mail")
        HOSTING = "hosting", _("Data-centre hosting")
        MOBILE = "mobile", _("Mobile platform")
        PAYMENT = "payment", _("Payment gateway")
        INTEROPERABILITY = "interoperability", _("Interoperability")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_sw, name_en = text_fields(_("name"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    offered_from = models.DateField(_("offered from"))
    offered_to = models.DateField(_("offered until"), null=True, blank=True)
    name = bilingual("name")

    class Meta:
        verbose_name = _("shared resource")
        verbose_name_plural = _("shared resources")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ResourceSubscription(models.Model):
    """An institution's use of a shared resource, from when it was connected until it left."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("institution")
    )
    resource = models.ForeignKey(
        SharedResource, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("shared resource")
    )
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("shared-resource use")
        verbose_name_plural = _("shared-resource use")
        ordering = ["institution__code", "resource__code", "started_on"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "resource", "started_on"], name="subscription_natural_key"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="subscription_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution.code} → {self.resource.code}"


class WorkforceReturn(models.Model):
    """An institution's ICT staff figures as of a date (K02)."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="workforce_returns", verbose_name=_("institution")
    )
    as_of = models.DateField(_("as of"))
    ict_staff = models.PositiveIntegerField(_("ICT staff"))
    qualified_ict_staff = models.PositiveIntegerField(_("qualified ICT staff"))

    class Meta:
        verbose_name = _("ICT workforce return")
        verbose_name_plural = _("ICT workforce returns")
        ordering = ["institution__code", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "as_of"], name="workforce_return_natural_key"),
            models.CheckConstraint(
                condition=Q(qualified_ict_staff__lte=models.F("ict_staff")), name="qualified_within_ict_staff"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution.code} {self.as_of}"


class Initiative(models.Model):
    """An institution's e-Government initiative or ICT project, and the Agency's review of it."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    class Review(models.TextChoices):
        NOT_SUBMITTED = "not_submitted", _("Not submitted")
        PENDING = "pending", _("Under review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="initiatives", verbose_name=_("institution")
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=300)
    budget = models.DecimalField(
        _("budget (TZS)"), max_digits=16, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    start_on = models.DateField(_("starts on"), null=True, blank=True)
    end_on = models.DateField(_("ends on"), null=True, blank=True)
    review_status = models.CharField(
        _("Agency review"), max_length=20, choices=Review.choices, default=Review.NOT_SUBMITTED
    )
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    review_notes = models.TextField(_("review notes"), blank=True)

    class Meta:
        verbose_name = _("e-Government initiative")
        verbose_name_plural = _("e-Government initiatives")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(start_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="initiative_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Standard(models.Model):
    """An e-Government standard or guideline the Agency issues."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.CharField(_("version"), max_length=20)
    title_sw, title_en = text_fields(_("title"))
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    title = bilingual("title")

    class Meta:
        verbose_name = _("standard or guideline")
        verbose_name_plural = _("standards and guidelines")
        ordering = ["code", "version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="standard_natural_key")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class ComplianceAssessment(models.Model):
    """An assessment of one institution against one or more standards (K11)."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("institution")
    )
    assessed_on = models.DateField(_("assessed on"))
    standards = models.ManyToManyField(Standard, related_name="assessments", verbose_name=_("standards"))
    score = models.DecimalField(
        _("score (0–100)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    pass_mark = models.DecimalField(
        _("pass mark"),
        max_digits=5,
        decimal_places=2,
        default=70,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    findings = models.TextField(_("findings"), blank=True)

    class Meta:
        verbose_name = _("compliance assessment")
        verbose_name_plural = _("compliance assessments")
        ordering = ["institution__code", "-assessed_on"]
        constraints = [models.UniqueConstraint(fields=["institution", "assessed_on"], name="assessment_natural_key")]

    def __str__(self) -> str:
        return f"{self.institution.code} {self.assessed_on}"

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark


class UsageReturn(models.Model):
    """Transactions and users of one e-service over one reporting period (a month or a quarter)."""

    eservice = models.ForeignKey(
        EService, on_delete=models.PROTECT, related_name="usage_returns", verbose_name=_("e-service")
    )
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    transactions = models.PositiveBigIntegerField(_("transactions"))
    users = models.PositiveBigIntegerField(_("users"))

    class Meta:
        verbose_name = _("e-service usage return")
        verbose_name_plural = _("e-service usage returns")
        ordering = ["eservice__code", "-period_start"]
        indexes = [models.Index(fields=["period_start"])]
        constraints = [
            models.UniqueConstraint(fields=["eservice", "period_start"], name="usage_return_natural_key"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="usage_period_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.eservice.code} {self.period_start}"

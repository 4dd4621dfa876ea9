"""The public institutions the Agency serves, and the regions they sit in.

More registries (e-services, shared resources, ICT workforce returns …) join this app with the
operational-records work; institutions come first because users are scoped to them.
"""

from __future__ import annotations

from datetime import date

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

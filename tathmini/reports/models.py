"""Quarterly and annual M&E reports, and the reminders already sent.

A report is written in one language. While it is a draft its numbers are read live from the
stored indicator values; publishing freezes every number, chart and text into ``snapshot``, so a
published report reads the same whatever changes in the records afterwards
(``services.report_publish``; the snapshot's shape is in ``snapshot.py``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tathmini.core import periods as P


class Report(models.Model):
    class Kind(models.TextChoices):
        QUARTERLY = "quarterly", _("Quarterly report")
        ANNUAL = "annual", _("Annual report")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    plan = models.ForeignKey("strategy.Plan", on_delete=models.CASCADE, related_name="reports", verbose_name=_("plan"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period = models.CharField(_("period"), max_length=12)  # 2014/15 or 2014/15-Q2
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    achievements = models.TextField(_("achievements"), blank=True)
    challenges = models.TextField(_("challenges"), blank=True)
    way_forward = models.TextField(_("way forward"), blank=True)
    is_public = models.BooleanField(
        _("publish publicly"), default=False, help_text=_("Anyone may read the published report, signed in or not.")
    )
    # Every number, chart and text of the report as published (empty while a draft).
    snapshot = models.JSONField(_("frozen content"), default=dict, blank=True)
    data_as_of = models.DateTimeField(_("data as of"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("M&E report")
        verbose_name_plural = _("M&E reports")
        ordering = ["-period", "kind", "language", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(published_at__isnull=False),
                name="report_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period} ({self.language})"

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def period_obj(self) -> P.Period:
        return P.parse(self.period)

    def file_stem(self) -> str:
        """The name its PDF and XLSX are downloaded under, safe on every system."""
        from tathmini.records.exports import safe_filename

        return safe_filename(f"{self.plan.code}-{self.kind}-{self.period.replace('/', '-')}-{self.language}")

    def frozen(self) -> dict[str, Any] | None:
        return self.snapshot if self.is_published and self.snapshot else None


class ReportFile(models.Model):
    """A published report's PDF or XLSX as first rendered, served as is from then on.

    A published report's content is frozen, so its files are rendered once (``files.py``) and every
    later download gets the same bytes, at once. Drafts are never kept. The bytes live in the
    database (SQLite or PostgreSQL alike), so every server process and machine serves the same file.
    """

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "XLSX"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    language = models.CharField(max_length=5, choices=settings.LANGUAGES)
    format = models.CharField(max_length=4, choices=Format.choices)
    content = models.BinaryField()
    rendered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "language", "format"], name="report_file_once"),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.format}"


class ReminderLog(models.Model):
    """One reminder sent: the unique key makes a second run (or a second machine) skip it."""

    key = models.CharField(max_length=200)  # what is due: "usage:<institution>:<period>", "manual:<indicator>:<period>"
    recipient = models.EmailField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "recipient"], name="reminder_once_per_recipient")]

    def __str__(self) -> str:
        return f"{self.key} → {self.recipient}"

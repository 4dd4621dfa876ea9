"""What the public and the institutions tell the Agency: complaints, information requests and
survey responses (K01, K09, K10, K14, K17, K18, R02).

Public references (complaint and request numbers) are random, not sequential, so one person's
number does not lead to another's.
"""

from __future__ import annotations

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tathmini.core.i18n import bilingual, text_fields

# Unambiguous characters only: no 0/O, 1/I/L, so a number read over the phone is typed right.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference(prefix: str) -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


class Complaint(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        LETTER = "letter", _("Letter")
        IN_PERSON = "in_person", _("In person")

    class About(models.TextChoices):
        AGENCY = "agency", _("The Agency")
        INSTITUTION = "institution", _("A public institution")
        ESERVICE = "eservice", _("An e-service")

    class Category(models.TextChoices):
        AVAILABILITY = "availability", _("Service not available")
        DELAY = "delay", _("Delay")
        QUALITY = "quality", _("Quality of service")
        CONDUCT = "conduct", _("Staff conduct")
        FEES = "fees", _("Fees and payments")
        INFORMATION = "information", _("Wrong or missing information")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Received")
        IN_PROGRESS = "in_progress", _("Being handled")
        RESOLVED = "resolved", _("Resolved")
        REJECTED = "rejected", _("Closed without action")

    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    about = models.CharField(_("about"), max_length=20, choices=About.choices)
    institution = models.ForeignKey(
        "registry.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("institution"),
    )
    eservice = models.ForeignKey(
        "registry.EService",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("e-service"),
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    complainant_name = models.CharField(_("name"), max_length=200, blank=True)
    complainant_contact = models.CharField(_("email or phone"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["received_at"]),
            models.Index(fields=["resolved_at"]),
            # K18's recurrence looks back along this one; its count of the Agency's complaints in a
            # period reads the next (without it, every complaint about the Agency ever received).
            models.Index(fields=["about", "category", "subject", "received_at"]),
            models.Index(fields=["about", "received_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("received_at")),
                name="complaint_resolved_after_received",
            ),
            models.CheckConstraint(
                condition=Q(about="agency") | Q(institution__isnull=False), name="complaint_names_its_institution"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class ComplaintUpdate(models.Model):
    """One step in a complaint's history; the note is shown to the complainant, the author is not."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField(_("at"))
    status = models.CharField(_("status"), max_length=20, choices=Complaint.Status.choices)
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )

    class Meta:
        verbose_name = _("complaint update")
        verbose_name_plural = _("complaint updates")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.at:%Y-%m-%d %H:%M} {self.status}"


class InformationRequest(models.Model):
    class Status(models.TextChoices):
        AWAITING = "awaiting", _("Awaiting response")
        ANSWERED = "answered", _("Answered")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    institution = models.ForeignKey(
        "registry.Institution",
        on_delete=models.PROTECT,
        related_name="information_requests",
        verbose_name=_("institution"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    question = models.TextField(_("question"))
    requester_name = models.CharField(_("name"), max_length=200, blank=True)
    requester_contact = models.CharField(_("email or phone"), max_length=200, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    deadline = models.DateField(_("deadline"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.AWAITING)
    answer = models.TextField(_("answer"), blank=True)

    class Meta:
        verbose_name = _("information request")
        verbose_name_plural = _("information requests")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["answered_at"]), models.Index(fields=["submitted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(answered_at__gte=models.F("submitted_at")),
                name="request_answered_after_submitted",
            )
        ]

    def __str__(self) -> str:
        return self.reference


class Survey(models.Model):
    class Kind(models.TextChoices):
        INSTITUTION_SATISFACTION = "institution_satisfaction", _("Institution satisfaction")
        STAKEHOLDER_AWARENESS = "stakeholder_awareness", _("Stakeholder awareness")
        STAFF_SATISFACTION = "staff_satisfaction", _("Staff satisfaction")
        ESERVICE_SATISFACTION = "eservice_satisfaction", _("e-Service user satisfaction")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name_sw, name_en = text_fields(_("name"))
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    name = bilingual("name")

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-opens_on", "code"]

    def __str__(self) -> str:
        return self.name


class SurveyQuestion(models.Model):
    """A Likert question: answered 1 (strongly disagree) to 5 (strongly agree)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey"))
    order = models.PositiveSmallIntegerField(_("order"))
    text_sw, text_en = text_fields(_("question"))
    text = bilingual("text")

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "order"]
        constraints = [models.UniqueConstraint(fields=["survey", "order"], name="question_order_unique")]

    def __str__(self) -> str:
        return f"{self.survey.code} Q{self.order}"


class SurveyResponse(models.Model):
    class Respondent(models.TextChoices):
        INSTITUTION = "institution", _("Public institution")
        STAFF = "staff", _("Agency staff")
        STAKEHOLDER = "stakeholder", _("Stakeholder")
        CITIZEN = "citizen", _("Citizen")
        BUSINESS = "business", _("Business")

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey"))
    submitted_at = models.DateTimeField(_("submitted at"))
    respondent = models.CharField(_("respondent"), max_length=20, choices=Respondent.choices)
    institution = models.ForeignKey(
        "registry.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("respondent institution"),
    )
    # The mean of the answers, kept with the response so indicators can filter on it in SQL.
    score = models.DecimalField(
        _("score (mean, 1–5)"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["survey", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.survey.code} {self.submitted_at:%Y-%m-%d}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    value = models.PositiveSmallIntegerField(_("answer (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question"),
            models.CheckConstraint(condition=Q(value__gte=1, value__lte=5), name="answer_likert_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value}"

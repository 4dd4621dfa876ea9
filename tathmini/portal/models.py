"""What the public site keeps besides the operational records it files: the catalogue's search
index, survey invitations and open links, and the counters that limit how fast a client may post.

None of these is an operational record: the complaints, requests and responses themselves live in
``tathmini.feedback`` and are written through ``tathmini.records.services.public_create``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


# --- The catalogue's search index (tathmini/portal/search.py) ------------------------------------
class Word(models.Model):
    """One folded word of the catalogue's vocabulary (lower case, no accents)."""

    text = models.CharField(max_length=60, unique=True)
    length = models.PositiveSmallIntegerField(db_index=True)

    def __str__(self) -> str:
        return self.text


class WordGram(models.Model):
    """A trigram of a word: words sharing enough trigrams with a misspelling are its candidates."""

    gram = models.CharField(max_length=3)
    word = models.ForeignKey(Word, on_delete=models.CASCADE, related_name="grams")

    class Meta:
        indexes = [models.Index(fields=["gram", "word"])]
        constraints = [models.UniqueConstraint(fields=["gram", "word"], name="word_gram_unique")]

    def __str__(self) -> str:
        return f"{self.gram} {self.word_id}"


class Posting(models.Model):
    """A word found in an e-service's texts, weighted by where it was found (name above description)."""

    word = models.ForeignKey(Word, on_delete=models.CASCADE, related_name="+")
    eservice = models.ForeignKey("registry.EService", on_delete=models.CASCADE, related_name="+")
    weight = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["word", "eservice"])]
        constraints = [models.UniqueConstraint(fields=["eservice", "word"], name="posting_unique")]

    def __str__(self) -> str:
        return f"{self.word_id} → {self.eservice_id}"


class IndexState(models.Model):
    """How far the index has followed the audit trail, and what it holds (one row)."""

    audit_watermark = models.BigIntegerField(default=0)  # last AuditEvent pk applied
    max_eservice_pk = models.BigIntegerField(default=0)
    built_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"audit {self.audit_watermark}, e-services up to {self.max_eservice_pk}"


# --- Surveys --------------------------------------------------------------------------------------
class Respondent(models.TextChoices):
    INSTITUTION = "institution", _("Public institution")
    STAFF = "staff", _("Agency staff")
    STAKEHOLDER = "stakeholder", _("Stakeholder")
    CITIZEN = "citizen", _("Citizen")
    BUSINESS = "business", _("Business")


class SurveyInvitation(models.Model):
    """A link for one respondent, answered once. Only a hash of its token is kept: the link is shown
    once, when issued, so a copy of the database cannot be used to answer in someone's name."""

    survey = models.ForeignKey(
        "feedback.Survey", on_delete=models.CASCADE, related_name="invitations", verbose_name=_("survey")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    respondent = models.CharField(_("respondent"), max_length=20, choices=Respondent.choices)
    institution = models.ForeignKey(
        "registry.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("institution"),
    )
    label = models.CharField(_("sent to"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("issued at"))
    used_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.label or self.pk}"


class SurveyLink(models.Model):
    """An open link anyone may answer through, at most ``per_device`` times from one device."""

    survey = models.ForeignKey(
        "feedback.Survey", on_delete=models.CASCADE, related_name="open_links", verbose_name=_("survey")
    )
    token = models.CharField(max_length=40, unique=True)
    respondent = models.CharField(_("respondent"), max_length=20, choices=Respondent.choices)
    eservice = models.ForeignKey(
        "registry.EService",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("e-service"),
    )
    per_device = models.PositiveSmallIntegerField(_("answers per device"), default=1)
    active = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("open survey link")
        verbose_name_plural = _("open survey links")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.token


class LinkUse(models.Model):
    """One answer through an open link from one device (the device id is kept only as a hash)."""

    link = models.ForeignKey(SurveyLink, on_delete=models.CASCADE, related_name="uses")
    device = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["link", "device"])]

    def __str__(self) -> str:
        return f"{self.link_id} {self.at:%Y-%m-%d}"


class ResponseOrigin(models.Model):
    """Where a survey response came from, and the e-service it rates (its satisfaction score)."""

    response = models.OneToOneField("feedback.SurveyResponse", on_delete=models.CASCADE, related_name="origin")
    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    link = models.ForeignKey(SurveyLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    eservice = models.ForeignKey("registry.EService", on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["eservice"])]

    def __str__(self) -> str:
        return f"response {self.response_id}"


# --- Rate limiting ----------------------------------------------------------------------------
class RateBucket(models.Model):
    """Posts one client made to one form in the current window. The key holds a keyed hash of the
    client's address, never the address itself."""

    key = models.CharField(max_length=100, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key} {self.count}"

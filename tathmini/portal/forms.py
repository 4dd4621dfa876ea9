"""The public forms. Each carries a honeypot field people never see (a bot fills it in); each keeps
what was typed when it is shown again with errors (Django's bound forms do)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tathmini.core.safeinput import SafeTextFormMixin
from tathmini.feedback.models import Complaint, InformationRequest, SurveyQuestion
from tathmini.portal import selectors
from tathmini.portal.models import Respondent
from tathmini.registry.models import EService, Institution

HONEYPOT = "website"


class PublicForm(SafeTextFormMixin, forms.Form):
    # Hidden by CSS and from screen readers (the template wraps it); people leave it empty.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT))


def _institution_field(required: bool) -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Institution"), required=required, choices=[("", _("Choose an institution"))])


def _set_institutions(field: Any) -> None:
    field.choices = [("", _("Choose an institution")), *selectors.institution_choices()]


class ComplaintForm(PublicForm):
    about = forms.ChoiceField(
        label=_("What is the complaint about?"),
        choices=[
            (Complaint.About.AGENCY, Complaint.About.AGENCY.label),
            (Complaint.About.INSTITUTION, Complaint.About.INSTITUTION.label),
        ],
        widget=forms.RadioSelect,
        initial=Complaint.About.INSTITUTION,
    )
    institution = _institution_field(required=False)
    eservice = forms.CharField(widget=forms.HiddenInput, required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("Choose a category")), *Complaint.Category.choices]
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("What happened?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Say what happened, when, and what you expected."),
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=200, required=False)
    contact = forms.CharField(
        label=_("Email or phone (optional)"),
        max_length=200,
        required=False,
        help_text=_("Leave it empty to stay anonymous: you can still follow the complaint by its reference number."),
    )

    def __init__(self, *args: Any, eservice: EService | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eservice_obj = eservice
        if eservice is not None:
            # About this e-service: its institution is known, so neither question is asked.
            del self.fields["about"]
            del self.fields["institution"]
            self.fields["eservice"].initial = eservice.code
        else:
            _set_institutions(self.fields["institution"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.eservice_obj is not None:
            cleaned["eservice"] = self.eservice_obj
            return cleaned
        cleaned["eservice"] = None
        code = cleaned.get("institution")
        if cleaned.get("about") == Complaint.About.INSTITUTION:
            if not code:
                self.add_error("institution", _("Choose the institution the complaint is about."))
            else:
                cleaned["institution"] = Institution.objects.filter(code=code).first()
        else:
            cleaned["institution"] = None
        return cleaned


class RequestForm(PublicForm):
    institution = _institution_field(required=True)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    question = forms.CharField(
        label=_("What information do you ask for?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=200, required=False)
    contact = forms.CharField(
        label=_("Email or phone (optional)"),
        max_length=200,
        required=False,
        help_text=_("Leave it empty if you will follow the request by its reference number."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_institutions(self.fields["institution"])
        self.fields["institution"].error_messages["required"] = _("Choose the institution you ask.")

    def clean_institution(self) -> Institution:
        institution = Institution.objects.filter(code=self.cleaned_data["institution"]).first()
        if institution is None:
            raise forms.ValidationError(_("Choose the institution you ask."))
        return institution


class TrackForm(SafeTextFormMixin, forms.Form):
    reference = forms.CharField(
        label=_("Reference number"), max_length=30, help_text=_("For example MAL-23AB-CD45 or OMB-23AB-CD45.")
    )

    def clean_reference(self) -> str:
        reference = selectors.normalise_reference(self.cleaned_data["reference"])
        if not (reference.startswith(("MAL-", "OMB-")) and len(reference) == 13):
            raise forms.ValidationError(_("A reference number looks like MAL-23AB-CD45 or OMB-23AB-CD45."))
        return reference


LIKERT = [
    ("1", _("1 – Strongly disagree")),
    ("2", _("2 – Disagree")),
    ("3", _("3 – Neither agree nor disagree")),
    ("4", _("4 – Agree")),
    ("5", _("5 – Strongly agree")),
]


class SurveyForm(PublicForm):
    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, questions: list[SurveyQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            self.fields[f"q{q.pk}"] = forms.ChoiceField(
                label=q.text,
                choices=LIKERT,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose an answer from 1 to 5.")},
            )
        self.order_fields([*(f"q{q.pk}" for q in questions), "comment", "website"])

    def answers(self) -> dict[SurveyQuestion, int]:
        return {q: int(self.cleaned_data[f"q{q.pk}"]) for q in self.questions}


# --- Staff desks -------------------------------------------------------------------------------
class ComplaintUpdateForm(SafeTextFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Complaint.Status.choices)
    note = forms.CharField(
        label=_("Note to the complainant"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The complainant reads this on the tracking page; your name is not shown."),
    )


class RequestAnswerForm(SafeTextFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (InformationRequest.Status.ANSWERED, InformationRequest.Status.ANSWERED.label),
            (InformationRequest.Status.REFUSED, InformationRequest.Status.REFUSED.label),
        ],
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=_("Answer, or the reason for refusing"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6})
    )


class InvitationForm(SafeTextFormMixin, forms.Form):
    respondent = forms.ChoiceField(label=_("Respondents"), choices=Respondent.choices)
    labels = forms.CharField(
        label=_("Sent to (one per line)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One line per invitation, e.g. an institution's name or a person's email; at most 500."),
    )

    def clean_labels(self) -> list[str]:
        labels = [line.strip() for line in self.cleaned_data["labels"].splitlines() if line.strip()]
        if not labels:
            raise forms.ValidationError(_("Write at least one line."))
        if len(labels) > 500:
            raise forms.ValidationError(_("At most 500 invitations at a time."))
        return labels


class OpenLinkForm(SafeTextFormMixin, forms.Form):
    respondent = forms.ChoiceField(label=_("Respondents"), choices=Respondent.choices)
    per_device = forms.IntegerField(label=_("Answers per device"), min_value=1, max_value=20, initial=1)
    eservice = forms.CharField(label=_("E-service code (optional)"), max_length=60, required=False)

    def clean_eservice(self) -> EService | None:
        code = self.cleaned_data["eservice"].strip()
        if not code:
            return None
        eservice = EService.objects.filter(code=code).first()
        if eservice is None:
            raise forms.ValidationError(_("No e-service has this code."))
        return eservice

from __future__ import annotations

from django import forms

from tathmini.reports.models import Report

NARRATIVE_WIDGET = forms.Textarea(attrs={"rows": 6})


class ReportCreateForm(forms.ModelForm):
    class Meta:
        model = Report
        fields = ["kind", "period", "language", "achievements", "challenges", "way_forward"]
        widgets = {
            "period": forms.TextInput(attrs={"placeholder": "2014/15, 2014/15-Q2"}),
            "achievements": NARRATIVE_WIDGET,
            "challenges": NARRATIVE_WIDGET,
            "way_forward": NARRATIVE_WIDGET,
        }


class ReportEditForm(forms.ModelForm):
    class Meta:
        model = Report
        fields = ["language", "achievements", "challenges", "way_forward", "is_public"]
        widgets = {
            "achievements": NARRATIVE_WIDGET,
            "challenges": NARRATIVE_WIDGET,
            "way_forward": NARRATIVE_WIDGET,
        }

"""The definition editor's form: YAML (or JSON) text in, a validated definition out.

Problems are reported the way the plan import reports them: a YAML syntax error names its line
and column; a definition that parses but is wrong lists every problem with its path
(``numerator.filters[2].op``), so the M&E officer can fix them all in one pass.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from django import forms
from django.utils.translation import gettext_lazy as _

from tathmini.core.safeinput import NoAliasLoader, SafeTextFormMixin
from tathmini.measure import definitions
from tathmini.measure.models import Value

PREVIEW_DIMENSIONS = [d for d in Value.Dimension.choices if d[0]]


class _Loader(NoAliasLoader):
    """YAML as the definition column stores it: plain JSON types, dates kept as text.

    An unquoted ``2013-07-01`` would otherwise become a date object, which JSON cannot hold; the
    engine reads date text itself. Aliases and deep nesting are refused (``NoAliasLoader``).
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)


def dump(spec: Any) -> str:
    """A definition as the editor shows it: keys in the documented order, block style."""
    if spec is None:
        return ""
    return yaml.safe_dump(definitions.canonical(spec), sort_keys=False, allow_unicode=True, width=100)


class DefinitionForm(SafeTextFormMixin, forms.Form):
    definition = forms.CharField(
        label=_("Definition (YAML or JSON)"),
        required=False,
        strip=False,
        max_length=50_000,  # a definition is a few hundred characters; parsing is not free
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        help_text=_(
            "The numerator, the denominator (or a composite), scale, cumulation and rating rules, "
            "as described in the indicator definition language."
        ),
    )
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)
    by = forms.ChoiceField(
        label=_("Disaggregation shown in the preview"), choices=PREVIEW_DIMENSIONS, initial="category", required=False
    )

    def __init__(self, *args: Any, indicator_code: str, known_indicators: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indicator_code = indicator_code
        self.known_indicators = known_indicators
        self.spec: dict[str, Any] | None = None
        self.problems: list[tuple[str, str]] = []  # (path, message) of an invalid definition

    def clean_definition(self) -> str:
        text: str = self.cleaned_data.get("definition") or ""
        try:
            spec = load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise forms.ValidationError(
                _("Not valid YAML at line %(line)s, column %(column)s: %(problem)s"),
                code="yaml",
                params={
                    "line": mark.line + 1 if mark else "?",
                    "column": mark.column + 1 if mark else "?",
                    "problem": exc.problem or exc.context or "",
                },
            ) from None
        except yaml.YAMLError as exc:
            raise forms.ValidationError(
                _("Not valid YAML: %(problem)s"), code="yaml", params={"problem": str(exc)}
            ) from None
        problems = definitions.validate(spec, self.known_indicators)
        if isinstance(spec, dict) and isinstance(spec.get("composite"), list):
            for i, part in enumerate(spec["composite"]):
                if isinstance(part, dict) and part.get("indicator") == self.indicator_code:
                    problems.append((f"composite[{i}].indicator", "an indicator cannot be a part of itself"))
        if not problems:
            try:
                json.dumps(spec, allow_nan=False)
            except (TypeError, ValueError):
                problems.append(("", "use plain numbers, text, lists and mappings only"))
        if problems:
            self.problems = problems
            raise forms.ValidationError(
                [
                    forms.ValidationError("%(path)s: %(message)s", params={"path": p or "—", "message": m})
                    for p, m in problems
                ],
                code="definition",
            )
        self.spec = spec
        return text

    def clean_by(self) -> str:
        return self.cleaned_data.get("by") or "category"

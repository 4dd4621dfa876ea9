"""The indicator definition language, and its validation.

A definition is data (JSON in the database, YAML in the plan file): no indicator is a Python
function of its own. docs/indicator-language.md documents it; in short::

    value = scale × numerator ÷ denominator        (then an optional transform)

where numerator and denominator are *terms* (an aggregate over a data source, with filters and
a relation to the period), or products of terms, or the definition is a weighted *composite* of
other indicators. ``validate`` returns every problem with its path, for the editor and the plan
import alike.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from tathmini.core import periods
from tathmini.measure import sources

AGGREGATES = ("count", "count_distinct", "sum", "median")
HAVING_AGGREGATES = ("mean", "sum", "count", "min", "max")
MATCHES = ("events", "state", "fiscal_year")
VALUE_OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "lt_or_null", "lte_or_null", "gt_or_null", "gte_or_null")
LIST_OPS = ("in", "not_in")
NULL_OPS = ("is_null", "not_null")
FIELD_OPS = ("eq_field", "ne_field", "lt_field", "lte_field", "gt_field", "gte_field")
CUMULATION = ("non_cumulative", "cumulative", "latest")
TRANSFORMS = ("none", "likert_0_100")
PERIOD_VALUES = ("$start", "$end")
DEFINITION_KEYS = ("numerator", "denominator", "composite", "extras", "scale", "transform", "cumulation", "rating")
TERM_KEYS = ("source", "aggregate", "field", "period", "filters", "latest", "then", "having", "baseline")


class DefinitionError(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


def _path_field(source: sources.Source, path: str) -> Any:
    """The model field at the end of a ``a__b__c`` path, or None if the path is not a field."""
    model: Any = source.model
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.is_relation:
            model = field.related_model
    return field


class _Checker:
    def __init__(self, known_indicators: set[str] | None) -> None:
        self.problems: list[tuple[str, str]] = []
        self.known_indicators = known_indicators

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def keys(self, value: Any, path: str, allowed: tuple[str, ...]) -> bool:
        if not isinstance(value, dict):
            self.fail(path, _("must be a mapping"))
            return False
        for key in value:
            if key not in allowed:
                self.fail(
                    f"{path}.{key}" if path else key,
                    _("unknown key (expected one of: %(keys)s)") % {"keys": ", ".join(allowed)},
                )
        return True

    def field(self, source: sources.Source, value: Any, path: str) -> bool:
        if not isinstance(value, str) or value not in source.fields:
            self.fail(
                path,
                _("%(value)r is not a field of source %(source)r (fields: %(fields)s)")
                % {"value": value, "source": source.key, "fields": ", ".join(source.fields)},
            )
            return False
        return True

    def expression(self, source: sources.Source, value: Any, path: str) -> None:
        if isinstance(value, dict):
            if (
                set(value) != {"days_between"}
                or not isinstance(value["days_between"], list)
                or len(value["days_between"]) != 2
            ):
                self.fail(path, _("an expression is {days_between: [from_field, to_field]}"))
                return
            for i, item in enumerate(value["days_between"]):
                self.field(source, item, f"{path}.days_between[{i}]")
        else:
            self.field(source, value, path)

    def filters(self, source: sources.Source, value: Any, path: str) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(path, _("must be a list of filters"))
            return
        for i, item in enumerate(value):
            self.filter(source, item, f"{path}[{i}]")

    def filter(self, source: sources.Source, f: Any, path: str) -> None:
        if not isinstance(f, dict):
            self.fail(path, _("a filter is a mapping"))
            return
        if "any" in f:
            if set(f) != {"any"} or not isinstance(f["any"], list) or not f["any"]:
                self.fail(path, _("{any: [filters…]} holds a non-empty list and nothing else"))
                return
            self.filters(source, f["any"], f"{path}.any")
            return
        op = f.get("op")
        if op == "has_prior":
            self.keys(f, path, ("op", "match", "field", "within_days", "filters"))
            if not isinstance(f.get("match"), list) or not f["match"]:
                self.fail(f"{path}.match", _("list the fields that must be equal"))
            else:
                for i, item in enumerate(f["match"]):
                    self.field(source, item, f"{path}.match[{i}]")
            self.field(source, f.get("field"), f"{path}.field")
            days = f.get("within_days")
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                self.fail(f"{path}.within_days", _("must be a whole number of days ≥ 1"))
            self.filters(source, f.get("filters", []), f"{path}.filters")
            return
        self.keys(f, path, ("field", "op", "value"))
        if not self.field(source, f.get("field"), f"{path}.field"):
            return
        if op in VALUE_OPS:
            if "value" not in f:
                self.fail(f"{path}.value", _("missing"))
            elif isinstance(f["value"], (list, dict)):
                self.fail(f"{path}.value", _("must be one value (use op: in for a list)"))
        elif op in LIST_OPS:
            if not isinstance(f.get("value"), list) or not f["value"]:
                self.fail(f"{path}.value", _("must be a non-empty list"))
        elif op in NULL_OPS:
            if "value" in f:
                self.fail(f"{path}.value", _("%(op)s takes no value") % {"op": op})
        elif op in FIELD_OPS:
            self.field(source, f.get("value"), f"{path}.value")
        else:
            self.fail(
                f"{path}.op",
                _("%(op)r is not an operator (%(ops)s, has_prior)")
                % {"op": op, "ops": ", ".join(VALUE_OPS + LIST_OPS + NULL_OPS + FIELD_OPS)},
            )

    def term(self, t: Any, path: str) -> None:
        if not self.keys(t, path, TERM_KEYS):
            return
        source = sources.get(t.get("source", ""))
        if source is None:
            names = ", ".join(s.key for s in sources.all_sources())
            self.fail(
                f"{path}.source",
                _("%(source)r is not a data source (%(names)s)") % {"source": t.get("source"), "names": names},
            )
            return
        aggregate = t.get("aggregate")
        if aggregate not in AGGREGATES:
            self.fail(
                f"{path}.aggregate",
                _("%(value)r is not one of %(choices)s") % {"value": aggregate, "choices": ", ".join(AGGREGATES)},
            )
        if aggregate in ("sum", "median", "count_distinct"):
            if "field" not in t:
                self.fail(f"{path}.field", _("%(aggregate)s needs a field") % {"aggregate": aggregate})
            else:
                self.expression(source, t["field"], f"{path}.field")
        elif "field" in t:
            self.fail(f"{path}.field", _("count takes no field (use count_distinct to count entities)"))
        period = t.get("period")
        if self.keys(period, f"{path}.period", ("match", "field")):
            match = period.get("match")
            if match not in MATCHES:
                self.fail(
                    f"{path}.period.match",
                    _("%(value)r is not one of %(choices)s") % {"value": match, "choices": ", ".join(MATCHES)},
                )
            elif match in ("events", "fiscal_year"):
                self.field(source, period.get("field"), f"{path}.period.field")
            elif "field" in period:
                self.fail(f"{path}.period.field", _("state takes no field: filter on $end instead"))
        self.filters(source, t.get("filters"), f"{path}.filters")
        if "latest" in t and self.keys(t["latest"], f"{path}.latest", ("per", "order_by")):
            per = t["latest"].get("per")
            if not isinstance(per, list) or not per:
                self.fail(f"{path}.latest.per", _("list the fields that identify an entity"))
            else:
                for i, item in enumerate(per):
                    self.field(source, item, f"{path}.latest.per[{i}]")
            self.field(source, t["latest"].get("order_by"), f"{path}.latest.order_by")
        if "then" in t:
            if "latest" not in t:
                self.fail(f"{path}.then", _("then-filters apply after latest: add latest"))
            self.filters(source, t["then"], f"{path}.then")
        if "having" in t:
            if aggregate != "count_distinct":
                self.fail(f"{path}.having", _("having counts the entities whose group passes: use count_distinct"))
            h = t["having"]
            if self.keys(h, f"{path}.having", ("aggregate", "field", "op", "value")):
                if h.get("aggregate") not in HAVING_AGGREGATES:
                    self.fail(
                        f"{path}.having.aggregate",
                        _("must be one of %(choices)s") % {"choices": ", ".join(HAVING_AGGREGATES)},
                    )
                if h.get("aggregate") != "count":
                    self.field(source, h.get("field"), f"{path}.having.field")
                if h.get("op") not in ("eq", "ne", "lt", "lte", "gt", "gte"):
                    self.fail(f"{path}.having.op", _("must be a comparison: eq, ne, lt, lte, gt, gte"))
                if not isinstance(h.get("value"), (int, float)) or isinstance(h.get("value"), bool):
                    self.fail(f"{path}.having.value", _("must be a number"))
        if "baseline" in t:
            try:
                if periods.parse(str(t["baseline"])).kind != "year":
                    raise periods.PeriodError("")
            except periods.PeriodError:
                self.fail(f"{path}.baseline", _("must be a fiscal year such as 2012/13"))

    def side(self, value: Any, path: str) -> None:
        if isinstance(value, dict) and "product" in value:
            if set(value) != {"product"} or not isinstance(value["product"], list) or len(value["product"]) < 2:
                self.fail(path, _("{product: [term, term, …]} multiplies two or more terms"))
                return
            for i, item in enumerate(value["product"]):
                self.term(item, f"{path}.product[{i}]")
        else:
            self.term(value, path)

    def definition(self, spec: Any) -> None:
        if not self.keys(spec, "", DEFINITION_KEYS):
            return
        if "composite" in spec:
            if "numerator" in spec or "denominator" in spec:
                self.fail("composite", _("a composite has no numerator or denominator of its own"))
            parts = spec["composite"]
            if not isinstance(parts, list) or not parts:
                self.fail("composite", _("list the indicators it combines, with weights"))
            else:
                for i, part in enumerate(parts):
                    p = f"composite[{i}]"
                    if self.keys(part, p, ("indicator", "weight")):
                        code = part.get("indicator")
                        if self.known_indicators is not None and code not in self.known_indicators:
                            self.fail(f"{p}.indicator", _("%(code)r is not an indicator of this plan") % {"code": code})
                        w = part.get("weight", 1)
                        if not isinstance(w, (int, float)) or isinstance(w, bool) or w <= 0:
                            self.fail(f"{p}.weight", _("must be a positive number"))
        elif "numerator" not in spec:
            self.fail("numerator", _("missing (or give a composite)"))
        else:
            self.side(spec["numerator"], "numerator")
            if "denominator" in spec:
                self.side(spec["denominator"], "denominator")
        for name, term in (spec.get("extras") or {}).items():
            self.term(term, f"extras.{name}")
        scale = spec.get("scale", 1)
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or scale == 0:
            self.fail("scale", _("must be a non-zero number"))
        if spec.get("transform", "none") not in TRANSFORMS:
            self.fail("transform", _("must be one of %(choices)s") % {"choices": ", ".join(TRANSFORMS)})
        if spec.get("cumulation", "non_cumulative") not in CUMULATION:
            self.fail("cumulation", _("must be one of %(choices)s") % {"choices": ", ".join(CUMULATION)})
        if "rating" in spec:
            from tathmini.measure.ratings import validate_rules

            self.problems += validate_rules(spec["rating"])


def validate(spec: Any, known_indicators: set[str] | None = None) -> list[tuple[str, str]]:
    """Every problem of a definition as (path, message); empty when it is valid."""
    checker = _Checker(known_indicators)
    checker.definition(spec)
    return checker.problems


def check(spec: Any, known_indicators: set[str] | None = None) -> None:
    problems = validate(spec, known_indicators)
    if problems:
        raise DefinitionError(problems)


def terms_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every term a definition evaluates (numerator, denominator and extras)."""
    out: list[dict[str, Any]] = []
    for side in ("numerator", "denominator"):
        value = spec.get(side)
        if value is None:
            continue
        out.extend(value.get("product", [value]))
    out.extend((spec.get("extras") or {}).values())
    return out


def sources_of(spec: dict[str, Any]) -> set[str]:
    return {t["source"] for t in terms_of(spec)}


def field_of(source: sources.Source, path: str) -> Any:
    return _path_field(source, path)


# Key orders, most specific first: a mapping is written in the first order that names all its keys.
_ORDERS = [
    ("match", "field"),  # period
    ("per", "order_by"),  # latest
    ("indicator", "weight"),  # composite part
    ("field", "op", "value"),  # filter
    ("op", "match", "field", "within_days", "filters"),  # has_prior filter
    ("aggregate", "field", "op", "value"),  # having
    ("source", "aggregate", "field", "period", "filters", "latest", "then", "having", "baseline"),  # term
    ("if", "then"),  # rating rule
    ("gt", "gte", "lt", "lte"),  # rating comparison
    ("numerator", "denominator", "composite", "extras", "scale", "transform", "cumulation", "rating"),  # definition
]


def canonical(spec: Any) -> Any:
    """The definition with its keys in the documented order, whatever order storage kept.

    PostgreSQL's jsonb does not keep key order, so exports (and the plan file's byte-exact round
    trip) go through this.
    """
    if isinstance(spec, dict):
        order = next((o for o in _ORDERS if set(spec) <= set(o)), ())
        keys = sorted(spec, key=lambda k: (order.index(k) if k in order else len(order), k))
        return {k: canonical(spec[k]) for k in keys}
    if isinstance(spec, list):
        return [canonical(item) for item in spec]
    return spec

"""Read and write the YAML plan format (docs/plan-format.md).

Reading happens in two steps so that a bad file writes nothing: ``parse_plan`` checks the whole
document against the format and collects every problem with its line; only a clean document
reaches ``save_plan``, which writes it in one transaction. ``export_plan`` writes the canonical
form, which ``parse_plan`` → ``save_plan`` → ``export_plan`` reproduces byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from django.db import transaction
from django.utils import translation

from tathmini.core import periods
from tathmini.core.safeinput import NoAliasLoader, problem
from tathmini.strategy import models as m

FORMAT = "tathmini-plan/1"
# The shipped plan is 55 kB; a file a hundred times larger is not a plan (and YAML parses slowly).
MAX_BYTES = 5_000_000
HEADER = "# Tathmini plan file: see docs/plan-format.md\n"


# --- Errors ---------------------------------------------------------------------------------
@dataclass
class Problem:
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.path}: {self.message}"


class PlanFileError(Exception):
    """The file does not follow the format; nothing was written. ``problems`` lists each one."""

    def __init__(self, problems: list[Problem], filename: str = "<plan>") -> None:
        self.problems = problems
        self.filename = filename
        # FILE:LINE: path: reason (docs/plan-format.md), the form editors and terminals link to.
        super().__init__("\n".join(f"{filename}:{p.line}: {p.path}: {p.message}" for p in problems))


# --- Located YAML: every mapping, list and value knows its line ----------------------------
class LDict(dict[str, Any]):
    line: int = 0
    key_lines: dict[str, int]


class LList(list[Any]):
    line: int = 0
    item_lines: list[int]


def _load(text: str) -> Any:
    if len(text) > MAX_BYTES:  # characters: never more than the file's bytes
        raise PlanFileError([Problem(0, "(file)", f"larger than {MAX_BYTES:,} bytes: not a plan file")])
    try:
        loader = NoAliasLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML itself does not allow (a control character)
        line = text.count("\n", 0, exc.position) + 1
        raise PlanFileError([Problem(line, "(file)", f"not valid YAML: character U+{exc.character:04X}")]) from None
    unsafe: list[Problem] = []
    try:
        root = loader.get_single_node()
        if root is None:
            return None

        def build(node: yaml.Node, path: str) -> Any:
            line = node.start_mark.line + 1
            if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
                # Scalars with an unknown tag are refused by the loader; collections are built here.
                raise PlanFileError([Problem(line, path or "(file)", f"the tag {node.tag} is not allowed")])
            if isinstance(node, yaml.MappingNode):
                out = LDict()
                out.line, out.key_lines = line, {}
                for key_node, value_node in node.value:
                    key = loader.construct_object(key_node)
                    key_line = key_node.start_mark.line + 1
                    if isinstance(key, str) and (reason := _unsafe(key)) is not None:
                        raise PlanFileError([Problem(key_line, path or "(file)", f"a key: {reason}")])
                    if not isinstance(key, str):
                        raise PlanFileError([Problem(key_line, str(key), "keys must be text")])
                    if key in out:
                        raise PlanFileError([Problem(key_line, key, "this key appears twice")])
                    out[key] = build(value_node, f"{path}.{key}" if path else key)
                    out.key_lines[key] = key_line
                return out
            if isinstance(node, yaml.SequenceNode):
                items = LList()
                items.line, items.item_lines = line, []
                for i, child in enumerate(node.value):
                    items.append(build(child, f"{path}[{i}]"))
                    items.item_lines.append(child.start_mark.line + 1)
                return items
            value = loader.construct_object(node)
            if isinstance(value, str) and (reason := _unsafe(value)) is not None:
                unsafe.append(Problem(line, path, reason))
            return value

        built = build(root, "")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise PlanFileError([Problem(line, "(file)", f"not valid YAML: {exc.problem or exc}")]) from None
    finally:
        loader.dispose()
    if unsafe:
        raise PlanFileError(unsafe)
    return built


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _unsafe(text: str) -> str | None:
    with translation.override("en"):  # the plan file's messages are in English, as the rest
        return problem(text)


# --- Validation -----------------------------------------------------------------------------
class Checker:
    """Walks the located document; records problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, line: int, path: str, message: str) -> None:
        self.problems.append(Problem(line, path, message))

    def mapping(
        self, value: Any, path: str, line: int, keys: list[str], optional: tuple[str, ...] = ()
    ) -> LDict | None:
        if not isinstance(value, LDict):
            self.fail(line, path, "must be a mapping of keys to values")
            return None
        for key in value:
            if key not in keys:
                self.fail(
                    value.key_lines[key],
                    f"{path}.{key}" if path else key,
                    f"unknown key (expected one of: {', '.join(keys)})",
                )
        for key in keys:
            if key not in value and key not in optional:
                self.fail(value.line, f"{path}.{key}" if path else key, "missing")
        return value

    def line_of(self, d: LDict, key: str) -> int:
        return d.key_lines.get(key, d.line)

    def text(self, d: LDict, key: str, path: str) -> dict[str, str] | None:
        full = f"{path}.{key}"
        value = self.mapping(d.get(key), full, self.line_of(d, key), ["sw", "en"])
        if value is None:
            return None
        out = {}
        for lang in ("sw", "en"):
            item = value.get(lang)
            if lang in value and (not isinstance(item, str) or not item.strip()):
                self.fail(value.key_lines[lang], f"{full}.{lang}", "must be non-empty text")
            elif isinstance(item, str):
                out[lang] = item
        return out if len(out) == 2 else None

    def string(self, d: LDict, key: str, path: str, pattern: str | None = None, nullable: bool = False) -> str | None:
        value = d.get(key)
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(
                self.line_of(d, key), f"{path}.{key}", "must be non-empty text" + (" or null" if nullable else "")
            )
            return None
        if pattern and not re.fullmatch(pattern, value):
            self.fail(self.line_of(d, key), f"{path}.{key}", f"{value!r} does not match the form {pattern}")
            return None
        return value

    def choice(self, d: LDict, key: str, path: str, choices: list[str]) -> str | None:
        value = d.get(key)
        if value not in choices:
            self.fail(self.line_of(d, key), f"{path}.{key}", f"{value!r} is not one of: {', '.join(choices)}")
            return None
        return str(value)

    def items(self, d: LDict, key: str, path: str) -> list[tuple[LDict | Any, int, str]]:
        value = d.get(key)
        if not isinstance(value, LList):
            self.fail(self.line_of(d, key), f"{path}.{key}", "must be a list")
            return []
        return [(item, value.item_lines[i], f"{path}.{key}[{i}]") for i, item in enumerate(value)]

    def codes(self, d: LDict, key: str, path: str, known: set[str], what: str) -> list[str]:
        out = []
        for item, line, item_path in self.items(d, key, path):
            if item not in known:
                self.fail(line, item_path, f"{item!r} is not a {what} of this plan")
            else:
                out.append(item)
        return out


CODE = r"[A-Za-z0-9][A-Za-z0-9._-]*"
PLAN_KEYS = [
    "code",
    "current",
    "name",
    "organisation",
    "organisation_abbreviation",
    "operational_from",
    "fiscal_years",
    "concept",
    "vision",
    "mission",
    "development_objective",
    "main_goal",
    "general_results",
    "clients",
    "mandates",
    "values",
    "objectives",
    "expected_results",
    "challenges",
    "alignment",
    "strategic_results",
    "me_approach",
    "indicators",
]
PLAN_TEXTS = [
    "name",
    "organisation",
    "concept",
    "vision",
    "mission",
    "development_objective",
    "main_goal",
    "general_results",
]
INDICATOR_KEYS = [
    "code",
    "kind",
    "name",
    "unit",
    "direction",
    "objective",
    "strategies",
    "expected_result",
    "responsible_unit",
    "description",
    "definition",
    "baselines",
    "targets",
]


@dataclass
class PlanData:
    """A validated plan document, ready to save."""

    fields: dict[str, Any]
    fiscal_years: list[str]
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def parse_plan(text: str, filename: str = "<plan>", org_unit_codes: set[str] | None = None) -> PlanData:
    """Validate a plan file's text; raise PlanFileError listing every problem with its line."""
    try:
        doc = _load(text)
    except PlanFileError as exc:
        exc.filename = filename
        raise PlanFileError(exc.problems, filename) from None
    if org_unit_codes is None:
        org_unit_codes = set(m.OrgUnit.objects.values_list("code", flat=True))
    c = Checker()
    top = c.mapping(doc, "", 1, ["format", "plan"])
    if top is None:
        raise PlanFileError(c.problems, filename)
    if top.get("format") != FORMAT:
        c.fail(c.line_of(top, "format"), "format", f"must be {FORMAT!r}")
    p = c.mapping(top.get("plan"), "plan", c.line_of(top, "plan"), PLAN_KEYS)
    if p is None:
        raise PlanFileError(c.problems, filename)

    fields: dict[str, Any] = {"code": c.string(p, "code", "plan", r"[a-z0-9][a-z0-9-]*")}
    if not isinstance(p.get("current"), bool):
        c.fail(c.line_of(p, "current"), "plan.current", "must be true or false")
    fields["is_current"] = p.get("current") is True
    for key in PLAN_TEXTS:
        fields[key] = c.text(p, key, "plan")
    abbreviation = p.get("organisation_abbreviation")
    if abbreviation is not None and not isinstance(abbreviation, str):
        c.fail(c.line_of(p, "organisation_abbreviation"), "plan.organisation_abbreviation", "must be text")
    fields["organisation_abbreviation"] = abbreviation or ""
    operational = p.get("operational_from")
    if operational is not None and not isinstance(operational, date):
        c.fail(c.line_of(p, "operational_from"), "plan.operational_from", "must be a date (YYYY-MM-DD) or null")
    fields["operational_from"] = operational

    years: list[str] = []
    for item, line, path in c.items(p, "fiscal_years", "plan"):
        try:
            period = periods.parse(str(item))
            if period.kind != "year":
                raise periods.PeriodError(f"{item!r} is not a fiscal year")
        except periods.PeriodError as exc:
            c.fail(line, path, str(exc))
            continue
        if years and periods.parse(years[-1]).end.year != period.start.year:
            c.fail(line, path, f"{period.code} does not follow {years[-1]}")
        years.append(period.code)
    if not years:
        c.fail(c.line_of(p, "fiscal_years"), "plan.fiscal_years", "lists no fiscal year")

    data = PlanData(fields=fields, fiscal_years=years)
    seen_codes: dict[str, set[str]] = {}

    def section(
        key: str,
        item_keys: list[str],
        read: Callable[[LDict, str], dict[str, Any]],
        group: str | None = None,
        container: LDict | None = None,
        container_path: str = "plan",
        optional: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        out = []
        codes = seen_codes.setdefault(group or key, set())
        for item, line, path in c.items(container if container is not None else p, key, container_path):
            d = c.mapping(item, path, line, item_keys, optional)
            if d is None:
                continue
            code = c.string(d, "code", path, CODE)
            if code in codes:
                c.fail(c.line_of(d, "code"), f"{path}.code", f"{code!r} is used twice")
            if code:
                codes.add(code)
            out.append({"code": code, **read(d, path)})
        return out

    S = data.sections
    S["clients"] = section("clients", ["code", "name"], lambda d, path: {"name": c.text(d, "name", path)})
    S["mandates"] = section("mandates", ["code", "text"], lambda d, path: {"text": c.text(d, "text", path)})
    S["values"] = section(
        "values",
        ["code", "name", "meaning"],
        lambda d, path: {"name": c.text(d, "name", path), "meaning": c.text(d, "meaning", path)},
    )

    def read_objective(d: LDict, path: str) -> dict[str, Any]:
        strategies = section(
            "strategies",
            ["code", "name"],
            lambda s, spath: {"name": c.text(s, "name", spath)},
            container=d,
            container_path=path,
        )
        return {"name": c.text(d, "name", path), "strategies": strategies}

    S["objectives"] = section("objectives", ["code", "name", "strategies"], read_objective)
    objective_codes = seen_codes["objectives"]
    strategy_codes = seen_codes.get("strategies", set())
    S["expected_results"] = section(
        "expected_results", ["code", "name"], lambda d, path: {"name": c.text(d, "name", path)}
    )
    result_codes = seen_codes["expected_results"]
    S["challenges"] = section(
        "challenges",
        ["code", "text", "strategies"],
        lambda d, path: {
            "text": c.text(d, "text", path),
            "strategies": c.codes(d, "strategies", path, strategy_codes, "strategy"),
        },
    )
    S["alignment"] = section(
        "alignment",
        ["code", "kind", "name"],
        lambda d, path: {
            "kind": c.choice(d, "kind", path, list(m.AlignmentItem.Kind.values)),
            "name": c.text(d, "name", path),
        },
    )
    S["strategic_results"] = section(
        "strategic_results",
        ["code", "level", "name", "objectives"],
        lambda d, path: {
            "level": c.choice(d, "level", path, list(m.StrategicResult.Level.values)),
            "name": c.text(d, "name", path),
            "objectives": c.codes(d, "objectives", path, objective_codes, "objective"),
        },
    )

    approach = c.mapping(p.get("me_approach"), "plan.me_approach", c.line_of(p, "me_approach"), ["text", "rules"])
    if approach is not None:
        fields["me_approach"] = c.text(approach, "text", "plan.me_approach")
        S["rules"] = section(
            "rules",
            ["code", "text"],
            lambda d, path: {"text": c.text(d, "text", path)},
            container=approach,
            container_path="plan.me_approach",
        )

    def reference(d: LDict, key: str, path: str, known: set[str], what: str) -> str | None:
        value = d.get(key)
        if value is None:
            return None
        if value not in known:
            c.fail(c.line_of(d, key), f"{path}.{key}", f"{value!r} is not a {what}")
            return None
        return str(value)

    def number(d: LDict, path: str) -> Decimal | None:
        value = d.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            c.fail(c.line_of(d, "value"), f"{path}.value", "must be a number")
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            c.fail(c.line_of(d, "value"), f"{path}.value", "must be a finite number")
            return None

    def read_year(d: LDict, path: str) -> str | None:
        year = d.get("year")
        if year not in years:
            c.fail(c.line_of(d, "year"), f"{path}.year", f"{year!r} is not one of the plan's fiscal years")
            return None
        return str(year)

    def read_indicator(d: LDict, path: str) -> dict[str, Any]:
        baselines, targets = [], []
        slots: set[tuple[Any, ...]] = set()
        for item, line, bpath in c.items(d, "baselines", path):
            b = c.mapping(item, bpath, line, ["year", "unit", "value"])
            if b is not None:
                entry = {
                    "year": read_year(b, bpath),
                    "unit": reference(b, "unit", bpath, org_unit_codes, "known org unit"),
                    "value": number(b, bpath),
                }
                if ("b", entry["unit"]) in slots:
                    c.fail(line, bpath, "a second baseline for the same org unit")
                slots.add(("b", entry["unit"]))
                baselines.append(entry)
        for item, line, tpath in c.items(d, "targets", path):
            t = c.mapping(item, tpath, line, ["year", "quarter", "unit", "value"])
            if t is not None:
                q = t.get("quarter")
                if q is not None and (isinstance(q, bool) or q not in (1, 2, 3, 4)):
                    c.fail(c.line_of(t, "quarter"), f"{tpath}.quarter", "must be 1, 2, 3, 4 or null")
                entry = {
                    "year": read_year(t, tpath),
                    "quarter": q,
                    "unit": reference(t, "unit", tpath, org_unit_codes, "known org unit"),
                    "value": number(t, tpath),
                }
                slot = ("t", entry["year"], q, entry["unit"])
                if slot in slots:
                    c.fail(line, tpath, "a second target for the same year, quarter and org unit")
                slots.add(slot)
                targets.append(entry)
        return {
            "kind": c.choice(d, "kind", path, list(m.Indicator.Kind.values)),
            "name": c.text(d, "name", path),
            "unit": c.choice(d, "unit", path, list(m.Indicator.Unit.values)),
            "direction": c.choice(d, "direction", path, list(m.Indicator.Direction.values)),
            "objective": reference(d, "objective", path, objective_codes, "objective of this plan"),
            "strategies": c.codes(d, "strategies", path, strategy_codes, "strategy"),
            "expected_result": reference(d, "expected_result", path, result_codes, "expected result of this plan"),
            "responsible_unit": reference(d, "responsible_unit", path, org_unit_codes, "known org unit"),
            "description": c.text(d, "description", path),
            "definition": _plain(d.get("definition")),
            "baselines": baselines,
            "targets": targets,
        }

    S["indicators"] = section("indicators", INDICATOR_KEYS, read_indicator, optional=("definition",))
    # Definitions may name other indicators (composites), so they are checked once all are read.
    from tathmini.measure import definitions  # the plan file carries the engine's definitions

    indicator_codes = {i["code"] for i in S["indicators"] if i["code"]}
    raw_indicators = p.get("indicators") or []
    for index, item in enumerate(S["indicators"]):
        if item["definition"] is None:
            continue
        node = raw_indicators[index]
        for problem_path, message in definitions.validate(item["definition"], indicator_codes):
            line = _line_at(node["definition"], problem_path, node.key_lines["definition"])
            c.fail(line, f"plan.indicators[{index}].definition.{problem_path}", message)

    if c.problems:
        raise PlanFileError(sorted(c.problems, key=lambda problem: problem.line), filename)
    return data


def _plain(value: Any) -> Any:
    """Located YAML back to plain dicts and lists (what the definition column stores)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _line_at(node: Any, path: str, default: int) -> int:
    """The line of ``a.b[2].c`` inside a located mapping, as deep as the path exists."""
    line = default
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("[") and isinstance(node, LList):
            i = int(part[1:-1])
            if i >= len(node):
                break
            line, node = node.item_lines[i], node[i]
        elif isinstance(node, LDict) and part in node:
            line, node = node.key_lines[part], node[part]
        else:
            break
    return line


# --- Writing to the database ----------------------------------------------------------------
def _texts(values: dict[str, Any], *names: str) -> dict[str, str]:
    out = {}
    for name in names:
        out[f"{name}_sw"] = values[name]["sw"]
        out[f"{name}_en"] = values[name]["en"]
    return out


class PlanExists(Exception):
    pass


@transaction.atomic
def save_plan(data: PlanData, *, replace: bool = False) -> m.Plan:
    """Write a validated plan in one transaction, updating an existing plan in place by codes."""
    f = data.fields
    plan = m.Plan.objects.filter(code=f["code"]).first()
    if plan is not None and not replace:
        raise PlanExists(f"a plan with code {f['code']!r} is already loaded (use --replace to update it)")
    if f["is_current"]:
        m.Plan.objects.filter(is_current=True).exclude(code=f["code"]).update(is_current=False)
    plan_fields = {
        "is_current": f["is_current"],
        "organisation_abbreviation": f["organisation_abbreviation"],
        "operational_from": f["operational_from"],
        **_texts(f, *PLAN_TEXTS, "me_approach"),
    }
    plan, _created = m.Plan.objects.update_or_create(code=f["code"], defaults=plan_fields)
    S = data.sections

    def sync(
        model: type[Any], items: list[dict[str, Any]], make: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        keep = [item["code"] for item in items]
        model.objects.filter(plan=plan).exclude(code__in=keep).delete()
        out = {}
        for order, item in enumerate(items):
            out[item["code"]], _ = model.objects.update_or_create(
                plan=plan, code=item["code"], defaults={"order": order, **make(item)}
            )
        return out

    # Removed indicators go first: they protect the objectives and results they point at. Kept
    # ones let go of theirs (set again below from the file), so an objective or result the file
    # dropped can be deleted; their baselines and targets (replaced wholesale below) let go of
    # the fiscal years, so a year the file dropped can be deleted too.
    m.Indicator.objects.filter(plan=plan).exclude(code__in=[i["code"] for i in S["indicators"]]).delete()
    m.Indicator.objects.filter(plan=plan).update(objective=None, expected_result=None)
    m.Baseline.objects.filter(indicator__plan=plan).delete()
    m.Target.objects.filter(indicator__plan=plan).delete()
    years = sync(
        m.FiscalYear,
        [{"code": y} for y in data.fiscal_years],
        lambda item: {"starts_on": periods.parse(item["code"]).start, "ends_on": periods.parse(item["code"]).end},
    )
    sync(m.Client, S["clients"], lambda item: _texts(item, "name"))
    sync(m.Mandate, S["mandates"], lambda item: _texts(item, "text"))
    sync(m.CoreValue, S["values"], lambda item: _texts(item, "name", "meaning"))
    all_strategies = [s for o in S["objectives"] for s in o["strategies"]]
    m.Strategy.objects.filter(plan=plan).exclude(code__in=[s["code"] for s in all_strategies]).delete()
    objectives = sync(m.Objective, S["objectives"], lambda item: _texts(item, "name"))
    strategies: dict[str, m.Strategy] = {}
    order = 0
    for o in S["objectives"]:
        for s in o["strategies"]:
            strategies[s["code"]], _ = m.Strategy.objects.update_or_create(
                plan=plan,
                code=s["code"],
                defaults={"order": order, "objective": objectives[o["code"]], **_texts(s, "name")},
            )
            order += 1
    results = sync(m.ExpectedResult, S["expected_results"], lambda item: _texts(item, "name"))
    challenges = sync(m.Challenge, S["challenges"], lambda item: _texts(item, "text"))
    for item in S["challenges"]:
        challenges[item["code"]].strategies.set([strategies[code] for code in item["strategies"]])
    sync(m.AlignmentItem, S["alignment"], lambda item: {"kind": item["kind"], **_texts(item, "name")})
    strategic = sync(
        m.StrategicResult, S["strategic_results"], lambda item: {"level": item["level"], **_texts(item, "name")}
    )
    for item in S["strategic_results"]:
        strategic[item["code"]].objectives.set([objectives[code] for code in item["objectives"]])
    sync(m.ApproachRule, S.get("rules", []), lambda item: _texts(item, "text"))

    units = {u.code: u for u in m.OrgUnit.objects.all()}
    indicators = sync(
        m.Indicator,
        S["indicators"],
        lambda item: {
            "kind": item["kind"],
            "unit": item["unit"],
            "direction": item["direction"],
            "objective": objectives.get(item["objective"]) if item["objective"] else None,
            "expected_result": results.get(item["expected_result"]) if item["expected_result"] else None,
            "responsible_unit": units.get(item["responsible_unit"]) if item["responsible_unit"] else None,
            **_texts(item, "name", "description"),
        },
    )
    from tathmini.measure.models import Definition

    for item in S["indicators"]:
        indicator = indicators[item["code"]]
        indicator.strategies.set([strategies[code] for code in item["strategies"]])
        if item["definition"] is not None:
            current = indicator.definitions.order_by("-version").first()
            if current is None or current.spec != item["definition"]:
                Definition.objects.create(
                    indicator=indicator,
                    version=(current.version + 1) if current else 1,
                    spec=item["definition"],
                    note="plan import",
                )
        # The file is the truth for baselines and targets: replace them wholesale.
        indicator.baselines.all().delete()
        indicator.targets.all().delete()
        m.Baseline.objects.bulk_create(
            [
                m.Baseline(
                    indicator=indicator,
                    fiscal_year=years[b["year"]],
                    org_unit=units.get(b["unit"]) if b["unit"] else None,
                    value=b["value"],
                )
                for b in item["baselines"]
            ]
        )
        m.Target.objects.bulk_create(
            [
                m.Target(
                    indicator=indicator,
                    fiscal_year=years[t["year"]],
                    quarter=t["quarter"],
                    org_unit=units.get(t["unit"]) if t["unit"] else None,
                    value=t["value"],
                )
                for t in item["targets"]
            ]
        )
    return plan


def import_plan(text: str, filename: str = "<plan>", *, replace: bool = False) -> m.Plan:
    return save_plan(parse_plan(text, filename), replace=replace)


# --- Export ---------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key: easier to read and to diff.
        super().increase_indent(flow, False)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value.normalize(), "f")
    tag = "tag:yaml.org,2002:int" if "." not in text else "tag:yaml.org,2002:float"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(Decimal, _represent_decimal)


def _text(obj: Any, name: str) -> dict[str, str]:
    return {"sw": getattr(obj, f"{name}_sw"), "en": getattr(obj, f"{name}_en")}


def _definition_entry(indicator: m.Indicator) -> dict[str, Any]:
    """``{"definition": spec}`` for an indicator with a definition; nothing for one without."""
    from tathmini.measure.definitions import canonical

    # Prefetched newest-first (Definition.Meta.ordering), so the first is the one in force.
    versions = list(indicator.definitions.all())
    return {"definition": canonical(versions[0].spec)} if versions else {}


def export_plan(plan: m.Plan) -> str:
    def coded(qs: Any, *names: str) -> list[dict[str, Any]]:
        return [{"code": o.code, **{n: _text(o, n) for n in names}} for o in qs]

    indicators = plan.indicators.select_related("objective", "expected_result", "responsible_unit").prefetch_related(
        "strategies",
        "definitions",
        "baselines__fiscal_year",
        "baselines__org_unit",
        "targets__fiscal_year",
        "targets__org_unit",
    )
    doc = {
        "format": FORMAT,
        "plan": {
            "code": plan.code,
            "current": plan.is_current,
            "name": _text(plan, "name"),
            "organisation": _text(plan, "organisation"),
            "organisation_abbreviation": plan.organisation_abbreviation,
            "operational_from": plan.operational_from,
            "fiscal_years": [fy.code for fy in plan.fiscal_years.all()],
            **{key: _text(plan, key) for key in PLAN_TEXTS[2:]},
            "clients": coded(plan.clients.all(), "name"),
            "mandates": coded(plan.mandates.all(), "text"),
            "values": coded(plan.values.all(), "name", "meaning"),
            "objectives": [
                {"code": o.code, "name": _text(o, "name"), "strategies": coded(o.strategies.all(), "name")}
                for o in plan.objectives.prefetch_related("strategies")
            ],
            "expected_results": coded(plan.expected_results.all(), "name"),
            "challenges": [
                {"code": ch.code, "text": _text(ch, "text"), "strategies": [s.code for s in ch.strategies.all()]}
                for ch in plan.challenges.prefetch_related("strategies")
            ],
            "alignment": [{"code": a.code, "kind": a.kind, "name": _text(a, "name")} for a in plan.alignment.all()],
            "strategic_results": [
                {
                    "code": r.code,
                    "level": r.level,
                    "name": _text(r, "name"),
                    "objectives": [o.code for o in r.objectives.all()],
                }
                for r in plan.strategic_results.prefetch_related("objectives")
            ],
            "me_approach": {"text": _text(plan, "me_approach"), "rules": coded(plan.approach_rules.all(), "text")},
            "indicators": [
                {
                    "code": i.code,
                    "kind": i.kind,
                    "name": _text(i, "name"),
                    "unit": i.unit,
                    "direction": i.direction,
                    "objective": i.objective.code if i.objective else None,
                    "strategies": [s.code for s in i.strategies.all()],
                    "expected_result": i.expected_result.code if i.expected_result else None,
                    "responsible_unit": i.responsible_unit.code if i.responsible_unit else None,
                    "description": _text(i, "description"),
                    **_definition_entry(i),
                    "baselines": [
                        {"year": b.fiscal_year.code, "unit": b.org_unit.code if b.org_unit else None, "value": b.value}
                        for b in i.baselines.all()
                    ],
                    "targets": [
                        {
                            "year": t.fiscal_year.code,
                            "quarter": t.quarter,
                            "unit": t.org_unit.code if t.org_unit else None,
                            "value": t.value,
                        }
                        for t in i.targets.all()
                    ],
                }
                for i in indicators
            ],
        },
    }
    body = yaml.dump(
        doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=float("inf"), default_flow_style=False
    )
    return HEADER + body

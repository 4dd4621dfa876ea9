"""Hand-written SQL per indicator, to check and to time the indicator engine against.

The engine (tathmini/measure/) compiles each indicator's definition into generic SQL. Here each
indicator of plans/ega-2012-2017.yaml instead has ONE query written by hand from the indicator's
meaning (the plan's description and the default KPI definitions), the way one would write it
without an engine: it reads the tables directly and returns, for every period of the plan (its
fiscal years, quarters and months) and every disaggregation at once, rows

    (dimension, period code, group, numerator, denominator, value[, median])

with dimension "" (the whole Agency, group ""), "category" and "region" (of the record's
institution; "" when it has none) and "org_unit" (group = the id of an Agency org unit, as text).
Nothing here reads the definitions or imports the engine's compiler: if a definition stops saying
what the indicator means, the two disagree and the benchmark says so.

How the queries are written:
- The periods are a ``VALUES`` list in a ``WITH periods(...)`` clause, their dates bound as
  parameters: ``code``, ``fy`` (the fiscal year holding the period, for budget lines), ``start_d``
  and ``end_d`` (dates), ``start_ts`` and ``end_ts`` (the UTC midnights that open and close the
  period, for timestamps) and ``base_code`` (the same place in the baseline year 2012/13, for K06:
  the baseline's sum of users is that period's own numerator, so it is read, not recomputed; the
  baseline year is the plan's first).
- The records that count are joined to the periods once, in a CTE, with their institution's
  category and region; additive measures are grouped there at the finest grain (period, category,
  region). The disaggregations are then a ``UNION ALL`` of one ``GROUP BY`` each over that CTE
  (what ``GROUPING SETS`` does, written so that the same text runs on SQLite).
- The "whole Agency" rows come from ``periods LEFT JOIN`` that CTE, so every period has one, with a
  numerator and denominator of 0 (and so no value) when nothing happened in it; a group has a row
  when it has records.
- The org-unit rows: a source with an org unit of its own (engagements, budget lines, posts)
  counts each record for its unit and every unit above it, through the ancestor/descendant table
  ``measure_orgunitlink``; a source without one is attributed as a whole to the indicator's
  responsible unit (``strategy_indicator.responsible_unit_id``) and the units above it, so those
  rows repeat the Agency's numbers.
- Shares of institutions (K03, K05, K08) start from the institutions active at the period's end,
  each with an ``EXISTS`` (or a count) of what qualifies it; per-institution means (K01, K14) are
  a ``GROUP BY`` institution first.
- "Latest record" indicators (K02, K11, K16) keep a record when ``NOT EXISTS`` a later one of the
  same entity within the period (each entity has at most one record per date: a unique key).
- K18's recurrence is decided once per complaint (an ``EXISTS`` over earlier ones), then the
  complaints are counted per period.
- Numerator, denominator and the value (``scale × numerator ÷ NULLIF(denominator, 0)``, K10's
  Likert score on 0–100) are all computed in the query; a zero denominator gives NULL, no value.

What the database dialects change, and only these small pieces (``Dialect``): days between two
timestamps (SQLite ``julianday``, PostgreSQL ``EXTRACT(EPOCH …)``) or two dates, "90 days before"
a timestamp (K18), how the parameters are bound (SQLite keeps dates and UTC times as ISO text),
explicit types on the first ``VALUES`` row for PostgreSQL, and the median (K09, R02, R12):
PostgreSQL's ``percentile_cont(0.5)``; SQLite has no median aggregate, so each disaggregation's
values are ranked with ``ROW_NUMBER()`` and the middle one or two averaged.

What plain Python does after the queries, and why: only K12, the composite, whose value is the
equal-weight mean of K03, K05, K08 and K11 for the same period and group, skipping a part with no
value. In SQL it would repeat four other indicators' queries inside one; it is the mean of up to
four numbers per row, computed from the reference's own rows of those parts. No indicator of the
plan is "latest value" (carried forward), so nothing is carried forward.

``compare`` checks the engine's rows against these, number by number.
"""

# SQL is written here as text on purpose: table and column names are fixed, and every value (dates,
# codes, the plan) is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

BASELINE_YEAR = "2012/13"  # K06: "the same sum for the baseline period of the same kind (FY 2012/13 …)"
TOLERANCE = Decimal("0.000001")  # relative or absolute: the engine stores values quantised to 1e-6

Key = tuple[str, str, str, str]  # indicator, period, dimension, group


@dataclass(frozen=True)
class PlanPeriod:
    code: str
    kind: str  # year, quarter, month
    start: date
    end: date
    fy: str  # the fiscal year holding the period
    base_code: str  # the same place in the baseline year (K06)


@dataclass
class Result:
    """One row of an indicator's numbers, the reference's or the engine's, ready to compare."""

    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    extras: dict[str, Decimal | None] = field(default_factory=dict)


# --- Periods ---------------------------------------------------------------------------------------
def plan_periods(plan_id: int) -> list[PlanPeriod]:
    """Every fiscal year of the plan, each of its quarters and months, from strategy_fiscalyear."""
    from django.db import connection

    from tathmini.core import periods as P

    with connection.cursor() as cursor:
        cursor.execute('SELECT code FROM strategy_fiscalyear WHERE plan_id = %s ORDER BY "order"', [plan_id])
        years = [P.parse(code) for (code,) in cursor.fetchall()]
    base = P.parse(BASELINE_YEAR)
    out = []
    for fy in years:
        for n, p in enumerate([fy, *P.quarters_of(fy), *P.months_of(fy)]):
            if p.kind == "year":
                same = base
            elif p.kind == "quarter":
                same = P.quarter(base.start.year, n)
            else:
                same = P.month(base.start.year + (p.start.month < 7), p.start.month)
            out.append(PlanPeriod(p.code, p.kind, p.start, p.end, fy.code, same.code))
    return out


# --- Dialects --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dialect:
    vendor: str  # "sqlite" or "postgresql"

    def days_between_times(self, a: str, b: str) -> str:
        """Fractional days from timestamp a to timestamp b."""
        if self.vendor == "postgresql":
            return f"(EXTRACT(EPOCH FROM ({b} - {a})) / 86400.0)"
        return f"(julianday({b}) - julianday({a}))"

    def days_between_dates(self, a: str, b: str) -> str:
        if self.vendor == "postgresql":
            return f"({b} - {a})"
        return f"(julianday({b}) - julianday({a}))"

    def days_before(self, ts: str, days: int) -> str:
        if self.vendor == "postgresql":
            return f"({ts} - INTERVAL '{int(days)} days')"
        return f"datetime({ts}, '-{int(days)} days')"

    def day(self, d: date) -> Any:
        return d if self.vendor == "postgresql" else d.isoformat()

    def midnight(self, d: date) -> Any:
        moment = datetime.combine(d, dtime.min, tzinfo=UTC)
        # SQLite: Django stores an aware datetime as its UTC time in ISO text, so compare with that.
        return moment if self.vendor == "postgresql" else moment.strftime("%Y-%m-%d %H:%M:%S")

    def periods_cte(self, periods: list[PlanPeriod]) -> tuple[str, dict[str, Any]]:
        rows, params = [], {}
        for i, p in enumerate(periods):
            values = {
                f"c{i}": p.code,
                f"fy{i}": p.fy,
                f"s{i}": self.day(p.start),
                f"e{i}": self.day(p.end),
                f"st{i}": self.midnight(p.start),
                f"et{i}": self.midnight(p.end + timedelta(days=1)),
                f"b{i}": p.base_code,
            }
            params.update(values)
            types = ["text", "text", "date", "date", "timestamptz", "timestamptz", "text"]
            if self.vendor == "postgresql" and i == 0:
                # An untyped VALUES column would be text on PostgreSQL: type the first row.
                rows.append("(" + ", ".join(f"%({n})s::{t}" for n, t in zip(values, types, strict=True)) + ")")
            else:
                rows.append("(" + ", ".join(f"%({n})s" for n in values) + ")")
        columns = "code, fy, start_d, end_d, start_ts, end_ts, base_code"
        return f"periods({columns}) AS (VALUES {', '.join(rows)})", params


# --- The queries -----------------------------------------------------------------------------------
# Each function returns the SQL of one indicator after "WITH {periods}": CTEs, then the final
# SELECT of (dim, code, grp, num, den, value[, median]). Shared pieces: the institution's groups
# and "active at the period's end".
REGION = "COALESCE(rg.code, '')"
ACTIVE_AT_END = (
    "(i.established_on IS NULL OR i.established_on <= p.end_d) AND (i.dissolved_on IS NULL OR i.dissolved_on > p.end_d)"
)
# The org-unit rows of an indicator whose source has no org unit: the Agency's numbers, for the
# indicator's responsible unit and every unit above it.
RESPONSIBLE_UNITS = (
    "JOIN measure_orgunitlink l ON l.descendant_id = "
    "(SELECT responsible_unit_id FROM strategy_indicator WHERE plan_id = %(plan)s AND code = %(indicator)s)"
)


PERCENT = "100.0 * num / NULLIF(den, 0)"


def _tail(den: str = "den", value: str = PERCENT, *, by_institution: bool = True) -> str:
    """The end of an indicator whose numerator and denominator are sums over ``by_group`` (code,
    [category, region,] num, den): the Agency, each category, each region, and the responsible
    unit's rows. ``den`` and ``value`` are the SQL of the last two columns over (num, den)."""
    groups = (
        """
        UNION ALL SELECT 'category', code, category, SUM(num), SUM(den) FROM by_group GROUP BY code, category
        UNION ALL SELECT 'region', code, region, SUM(num), SUM(den) FROM by_group GROUP BY code, region"""
        if by_institution
        else ""
    )
    return f""",
    total AS (
        SELECT p.code, COALESCE(SUM(b.num), 0) AS num, COALESCE(SUM(b.den), 0) AS den
        FROM periods p LEFT JOIN by_group b ON b.code = p.code
        GROUP BY p.code
    )
    SELECT dim, code, grp, num, {den}, {value} FROM (
        SELECT '' AS dim, code, '' AS grp, num, den FROM total{groups}
        UNION ALL SELECT 'org_unit', t.code, CAST(l.ancestor_id AS TEXT), t.num, t.den FROM total t {RESPONSIBLE_UNITS}
    ) v"""


def k01(d: Dialect) -> str:
    # K01: % of institutions satisfied with the Agency (the mean score of their "institution
    # satisfaction" responses in P is ≥ 4) among the institutions that responded in P.
    return f"""
    per_institution AS (
        SELECT p.code, r.institution_id,
               -- Scores have three decimals: compare in thousandths, so that SQLite's binary
               -- floats cannot make a mean of exactly 4 fall short of it.
               CASE WHEN SUM(ROUND(r.score * 1000)) >= 4000 * COUNT(*) THEN 1 ELSE 0 END AS satisfied
        FROM periods p
        JOIN feedback_surveyresponse r ON r.submitted_at >= p.start_ts AND r.submitted_at < p.end_ts
        JOIN feedback_survey s ON s.id = r.survey_id
        WHERE s.kind = 'institution_satisfaction' AND r.institution_id IS NOT NULL
        GROUP BY p.code, r.institution_id
    ),
    by_group AS (
        SELECT x.code, i.category, {REGION} AS region, SUM(x.satisfied) AS num, COUNT(*) AS den
        FROM per_institution x
        JOIN registry_institution i ON i.id = x.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY x.code, i.category, rg.code
    )""" + _tail()


def k02(d: Dialect) -> str:
    # K02: Σ qualified ICT staff ÷ Σ ICT staff, over each institution's latest ICT-workforce return
    # dated within P.
    return f"""
    latest AS (
        SELECT p.code, w.institution_id, w.qualified_ict_staff, w.ict_staff
        FROM periods p
        JOIN registry_workforcereturn w ON w.as_of BETWEEN p.start_d AND p.end_d
        WHERE NOT EXISTS (
            SELECT 1 FROM registry_workforcereturn later
            WHERE later.institution_id = w.institution_id AND later.as_of > w.as_of AND later.as_of <= p.end_d
        )
    ),
    by_group AS (
        SELECT x.code, i.category, {REGION} AS region,
               SUM(x.qualified_ict_staff) AS num, SUM(x.ict_staff) AS den
        FROM latest x
        JOIN registry_institution i ON i.id = x.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY x.code, i.category, rg.code
    )""" + _tail()


def _share_of_active_institutions(condition: str) -> str:
    """by_group of "active institutions at P.end that <condition>" ÷ active institutions at P.end."""
    return f"""
    by_group AS (
        SELECT p.code, i.category, {REGION} AS region,
               SUM(CASE WHEN EXISTS ({condition}) THEN 1 ELSE 0 END) AS num, COUNT(*) AS den
        FROM periods p
        JOIN registry_institution i ON {ACTIVE_AT_END}
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY p.code, i.category, rg.code
    )"""


def k03(d: Dialect) -> str:
    # K03: % of the institutions active at P.end with ≥1 e-Government initiative in progress or
    # completed whose implementation overlaps P.
    return (
        _share_of_active_institutions(
            """SELECT 1 FROM registry_initiative x
            WHERE x.institution_id = i.id AND x.status IN ('in_progress', 'completed')
              AND x.start_on <= p.end_d AND (x.end_on IS NULL OR x.end_on >= p.start_d)"""
        )
        + _tail()
    )


def k04(d: Dialect) -> str:
    # K04: e-services live at P.end (launched on or before it and not retired by then).
    return f"""
    by_group AS (
        SELECT p.code, i.category, {REGION} AS region, COUNT(*) AS num, 0 AS den
        FROM periods p
        JOIN registry_eservice e ON e.launched_on <= p.end_d AND (e.retired_on IS NULL OR e.retired_on > p.end_d)
        JOIN registry_institution i ON i.id = e.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY p.code, i.category, rg.code
    )""" + _tail("NULL", "num")


def k05(d: Dialect) -> str:
    # K05: % of the institutions active at P.end with ≥1 e-service live at P.end.
    return (
        _share_of_active_institutions(
            """SELECT 1 FROM registry_eservice e
            WHERE e.institution_id = i.id AND e.launched_on <= p.end_d
              AND (e.retired_on IS NULL OR e.retired_on > p.end_d)"""
        )
        + _tail()
    )


def k06(d: Dialect) -> str:
    # K06: e-service users index: 100 × Σ users in the usage returns for P ÷ the same sum for the
    # same period of the baseline year 2012/13 (the year, or the same quarter or month of it). The
    # baseline's sum is that period's own numerator, so the users are summed once per period.
    return f"""
    users AS (
        SELECT p.code, i.category, {REGION} AS region, SUM(u.users) AS users
        FROM periods p
        JOIN registry_usagereturn u ON u.period_start BETWEEN p.start_d AND p.end_d
        JOIN registry_eservice e ON e.id = u.eservice_id
        JOIN registry_institution i ON i.id = e.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY p.code, i.category, rg.code
    ),
    by_group AS (
        SELECT code, category, region, users AS num, 0 AS den FROM users
        UNION ALL
        SELECT p.code, b.category, b.region, 0, b.users FROM periods p JOIN users b ON b.code = p.base_code
    )""" + _tail()


def k07(d: Dialect) -> str:
    # K07: % of the budget of the fiscal year holding P that is allocated to shared resources.
    return f"""
    lines AS (
        SELECT p.code, b.org_unit_id,
               CASE WHEN b.category = 'shared_resources' THEN b.amount ELSE 0 END AS shared, b.amount
        FROM periods p JOIN services_budgetline b ON b.fiscal_year = p.fy
    )
    SELECT dim, code, grp, num, den, {PERCENT} FROM (
        SELECT '' AS dim, p.code, '' AS grp, COALESCE(SUM(x.shared), 0) AS num, COALESCE(SUM(x.amount), 0) AS den
        FROM periods p LEFT JOIN lines x ON x.code = p.code
        GROUP BY p.code
        UNION ALL
        SELECT 'org_unit', x.code, CAST(l.ancestor_id AS TEXT), SUM(x.shared), SUM(x.amount)
        FROM lines x JOIN measure_orgunitlink l ON l.descendant_id = x.org_unit_id
        GROUP BY x.code, l.ancestor_id
    ) v"""


def k08(d: Dialect) -> str:
    # K08: shared-resource use index: 100 × subscriptions active at P.end (of institutions active
    # then, to resources offered then) ÷ (active institutions × resources offered at P.end).
    return f"""
    offered AS (
        SELECT p.code, COUNT(r.id) AS resources
        FROM periods p
        LEFT JOIN registry_sharedresource r
          ON r.offered_from <= p.end_d AND (r.offered_to IS NULL OR r.offered_to > p.end_d)
        GROUP BY p.code
    ),
    by_group AS (
        SELECT p.code, i.category, {REGION} AS region, COUNT(*) AS institutions,
               SUM((SELECT COUNT(*) FROM registry_resourcesubscription s
                    JOIN registry_sharedresource r ON r.id = s.resource_id
                    WHERE s.institution_id = i.id
                      AND s.started_on <= p.end_d AND (s.ended_on IS NULL OR s.ended_on > p.end_d)
                      AND r.offered_from <= p.end_d AND (r.offered_to IS NULL OR r.offered_to > p.end_d)
               )) AS subscriptions
        FROM periods p
        JOIN registry_institution i ON {ACTIVE_AT_END}
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY p.code, i.category, rg.code
    ),
    total AS (
        SELECT p.code, COALESCE(SUM(b.subscriptions), 0) AS num, COALESCE(SUM(b.institutions), 0) AS institutions
        FROM periods p LEFT JOIN by_group b ON b.code = p.code
        GROUP BY p.code
    )
    SELECT v.dim, v.code, v.grp, v.num, v.institutions * o.resources AS den,
           100.0 * v.num / NULLIF(v.institutions * o.resources, 0)
    FROM (
        SELECT '' AS dim, code, '' AS grp, num, institutions FROM total
        UNION ALL SELECT 'category', code, category, SUM(subscriptions), SUM(institutions)
                  FROM by_group GROUP BY code, category
        UNION ALL SELECT 'region', code, region, SUM(subscriptions), SUM(institutions)
                  FROM by_group GROUP BY code, region
        UNION ALL SELECT 'org_unit', t.code, CAST(l.ancestor_id AS TEXT), t.num, t.institutions
                  FROM total t {RESPONSIBLE_UNITS}
    ) v JOIN offered o ON o.code = v.code"""


def _median_stats(d: Dialect, *, org_units: bool = False) -> str:
    """The CTE ``stats``: per disaggregation, period and group of ``measured`` (code, days,
    category, region[, org_unit_id]), the sum and count of the days and their median (the middle
    value, or the mean of the two middle ones). With ``org_units``, also per org unit, each record
    counting for its unit and every unit above it."""
    branches = [
        ("''", "''", "measured x", "x.code"),
        ("'category'", "x.category", "measured x", "x.code, x.category"),
        ("'region'", "x.region", "measured x", "x.code, x.region"),
    ]
    if org_units:
        branches.append(
            (
                "'org_unit'",
                "CAST(l.ancestor_id AS TEXT)",
                "measured x JOIN measure_orgunitlink l ON l.descendant_id = x.org_unit_id",
                "x.code, l.ancestor_id",
            )
        )
    if d.vendor == "postgresql":
        rows = "\n        UNION ALL ".join(
            f"SELECT {dim} AS dim, x.code, {grp} AS grp, x.days FROM {source}" for dim, grp, source, _ in branches
        )
        return f"""
    stats AS (
        SELECT dim, code, grp, SUM(days) AS total, COUNT(*) AS n,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median
        FROM (
        {rows}
        ) g
        GROUP BY dim, code, grp
    )"""
    # SQLite has no median aggregate: rank each group's values, keep the middle one or two.
    ranked = "\n        UNION ALL\n        ".join(
        f"""SELECT {dim} AS dim, x.code, {grp} AS grp, x.days,
               ROW_NUMBER() OVER (PARTITION BY {by} ORDER BY x.days) AS rn,
               COUNT(*) OVER (PARTITION BY {by}) AS n, SUM(x.days) OVER (PARTITION BY {by}) AS total
        FROM {source}"""
        for dim, grp, source, by in branches
    )
    return f"""
    ranked AS (
        {ranked}
    ),
    stats AS (
        SELECT dim, code, grp, MAX(total) AS total, MAX(n) AS n, AVG(days) AS median
        FROM ranked
        WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
        GROUP BY dim, code, grp
    )"""


def k09(d: Dialect) -> str:
    # K09: mean days from submission to answer over the information requests answered in P, with
    # the median beside it.
    return f"""
    measured AS (
        SELECT p.code, {d.days_between_times("q.submitted_at", "q.answered_at")} AS days,
               i.category, {REGION} AS region
        FROM periods p
        JOIN feedback_informationrequest q ON q.answered_at >= p.start_ts AND q.answered_at < p.end_ts
        JOIN registry_institution i ON i.id = q.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
    ),{_median_stats(d)},
    total AS (
        SELECT p.code, COALESCE(s.total, 0) AS num, COALESCE(s.n, 0) AS den, s.median
        FROM periods p LEFT JOIN stats s ON s.dim = '' AND s.code = p.code
    )
    SELECT dim, code, grp, num, den, 1.0 * num / NULLIF(den, 0), median FROM (
        SELECT '' AS dim, code, '' AS grp, num, den, median FROM total
        UNION ALL SELECT dim, code, grp, total, n, median FROM stats WHERE dim <> ''
        UNION ALL SELECT 'org_unit', t.code, CAST(l.ancestor_id AS TEXT), t.num, t.den, t.median
                  FROM total t {RESPONSIBLE_UNITS}
    ) v"""


def k10(d: Dialect) -> str:
    # K10: stakeholders' awareness: the mean score m of the "stakeholder awareness" responses in P,
    # on the 0–100 scale (m − 1) / 4 × 100.
    return f"""
    by_group AS (
        SELECT p.code, COALESCE(i.category, '') AS category, {REGION} AS region,
               SUM(r.score) AS num, COUNT(*) AS den
        FROM periods p
        JOIN feedback_surveyresponse r ON r.submitted_at >= p.start_ts AND r.submitted_at < p.end_ts
        JOIN feedback_survey s ON s.id = r.survey_id
        LEFT JOIN registry_institution i ON i.id = r.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        WHERE s.kind = 'stakeholder_awareness'
        GROUP BY p.code, i.category, rg.code
    )""" + _tail(value="(1.0 * num / NULLIF(den, 0) - 1) / 4 * 100")


def k11(d: Dialect) -> str:
    # K11: % of the institutions assessed in P whose latest standards-compliance assessment in P
    # scores at least its pass mark.
    return f"""
    latest AS (
        SELECT p.code, a.institution_id, CASE WHEN a.score >= a.pass_mark THEN 1 ELSE 0 END AS passed
        FROM periods p
        JOIN registry_complianceassessment a ON a.assessed_on BETWEEN p.start_d AND p.end_d
        WHERE NOT EXISTS (
            SELECT 1 FROM registry_complianceassessment later
            WHERE later.institution_id = a.institution_id
              AND later.assessed_on > a.assessed_on AND later.assessed_on <= p.end_d
        )
    ),
    by_group AS (
        SELECT x.code, i.category, {REGION} AS region, SUM(x.passed) AS num, COUNT(*) AS den
        FROM latest x
        JOIN registry_institution i ON i.id = x.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY x.code, i.category, rg.code
    )""" + _tail()


def k13(d: Dialect) -> str:
    # K13: % of the institutions active at P.end that received ≥1 advisory or technical-support
    # engagement completed in P; by org unit, the institutions served by that unit (or one below).
    return f"""
    served AS (
        SELECT DISTINCT p.code, e.institution_id, e.org_unit_id
        FROM periods p
        JOIN services_engagement e ON e.completed_on BETWEEN p.start_d AND p.end_d
        WHERE e.kind IN ('advisory', 'technical_support')
    ),
    active AS (
        SELECT p.code, i.id AS institution_id, i.category, {REGION} AS region
        FROM periods p
        JOIN registry_institution i ON {ACTIVE_AT_END}
        LEFT JOIN registry_region rg ON rg.id = i.region_id
    ),
    flagged AS (
        SELECT a.code, a.category, a.region, CASE WHEN s.institution_id IS NULL THEN 0 ELSE 1 END AS served
        FROM active a
        LEFT JOIN (SELECT DISTINCT code, institution_id FROM served) s
          ON s.code = a.code AND s.institution_id = a.institution_id
    ),
    total AS (
        SELECT p.code, COALESCE(SUM(f.served), 0) AS num, COUNT(f.code) AS den
        FROM periods p LEFT JOIN flagged f ON f.code = p.code
        GROUP BY p.code
    )
    SELECT dim, code, grp, num, den, {PERCENT} FROM (
        SELECT '' AS dim, code, '' AS grp, num, den FROM total
        UNION ALL SELECT 'category', code, category, SUM(served), COUNT(*) FROM flagged GROUP BY code, category
        UNION ALL SELECT 'region', code, region, SUM(served), COUNT(*) FROM flagged GROUP BY code, region
        UNION ALL
        SELECT 'org_unit', s.code, CAST(l.ancestor_id AS TEXT), COUNT(DISTINCT s.institution_id), t.den
        FROM served s
        JOIN active a ON a.code = s.code AND a.institution_id = s.institution_id
        JOIN measure_orgunitlink l ON l.descendant_id = s.org_unit_id
        JOIN total t ON t.code = s.code
        GROUP BY s.code, l.ancestor_id, t.den
    ) v"""


def k14(d: Dialect) -> str:
    # K14: % of institutions whose mean satisfaction rating over the engagements completed in P is
    # ≥ 4, among institutions with ≥1 rated engagement completed in P; by org unit, over the
    # engagements of that unit and the units below it.
    return f"""
    rated AS (
        SELECT p.code, e.institution_id, e.org_unit_id, e.satisfaction
        FROM periods p
        JOIN services_engagement e ON e.completed_on BETWEEN p.start_d AND p.end_d
        WHERE e.satisfaction IS NOT NULL
    ),
    per_institution AS (
        SELECT x.code, i.category, {REGION} AS region,
               CASE WHEN SUM(x.satisfaction) >= 4 * COUNT(*) THEN 1 ELSE 0 END AS satisfied
        FROM rated x
        JOIN registry_institution i ON i.id = x.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY x.code, x.institution_id, i.category, rg.code
    ),
    per_unit AS (
        SELECT x.code, l.ancestor_id,
               CASE WHEN SUM(x.satisfaction) >= 4 * COUNT(*) THEN 1 ELSE 0 END AS satisfied
        FROM rated x JOIN measure_orgunitlink l ON l.descendant_id = x.org_unit_id
        GROUP BY x.code, l.ancestor_id, x.institution_id
    )
    SELECT dim, code, grp, num, den, {PERCENT} FROM (
        SELECT '' AS dim, p.code, '' AS grp, COALESCE(SUM(x.satisfied), 0) AS num, COUNT(x.code) AS den
        FROM periods p LEFT JOIN per_institution x ON x.code = p.code
        GROUP BY p.code
        UNION ALL SELECT 'category', code, category, SUM(satisfied), COUNT(*)
                  FROM per_institution GROUP BY code, category
        UNION ALL SELECT 'region', code, region, SUM(satisfied), COUNT(*)
                  FROM per_institution GROUP BY code, region
        UNION ALL SELECT 'org_unit', code, CAST(ancestor_id AS TEXT), SUM(satisfied), COUNT(*)
                  FROM per_unit GROUP BY code, ancestor_id
    ) v"""


def k15(d: Dialect) -> str:
    # K15: % of the revenue received in P that came from advisory services.
    return """
    by_group AS (
        SELECT p.code, SUM(CASE WHEN r.source = 'advisory_services' THEN r.amount ELSE 0 END) AS num,
               SUM(r.amount) AS den
        FROM periods p JOIN services_revenue r ON r.received_on BETWEEN p.start_d AND p.end_d
        GROUP BY p.code
    )""" + _tail(by_institution=False)


def k16(d: Dialect) -> str:
    # K16: % of approved posts that are filled, over the Agency's establishment at P.end: for each
    # (org unit, position) its latest establishment record dated on or before P.end.
    return f"""
    current AS (
        SELECT p.code, r.org_unit_id, r.filled, r.approved
        FROM periods p
        JOIN services_postrecord r ON r.as_of <= p.end_d
        WHERE NOT EXISTS (
            SELECT 1 FROM services_postrecord later
            WHERE later.org_unit_id = r.org_unit_id AND later.position = r.position
              AND later.as_of > r.as_of AND later.as_of <= p.end_d
        )
    )
    SELECT dim, code, grp, num, den, {PERCENT} FROM (
        SELECT '' AS dim, p.code, '' AS grp, COALESCE(SUM(x.filled), 0) AS num, COALESCE(SUM(x.approved), 0) AS den
        FROM periods p LEFT JOIN current x ON x.code = p.code
        GROUP BY p.code
        UNION ALL
        SELECT 'org_unit', x.code, CAST(l.ancestor_id AS TEXT), SUM(x.filled), SUM(x.approved)
        FROM current x JOIN measure_orgunitlink l ON l.descendant_id = x.org_unit_id
        GROUP BY x.code, l.ancestor_id
    ) v"""


def k17(d: Dialect) -> str:
    # K17: % of the "staff satisfaction" responses in P with a score ≥ 4.
    return f"""
    by_group AS (
        SELECT p.code, COALESCE(i.category, '') AS category, {REGION} AS region,
               SUM(CASE WHEN r.score >= 4 THEN 1 ELSE 0 END) AS num, COUNT(*) AS den
        FROM periods p
        JOIN feedback_surveyresponse r ON r.submitted_at >= p.start_ts AND r.submitted_at < p.end_ts
        JOIN feedback_survey s ON s.id = r.survey_id
        LEFT JOIN registry_institution i ON i.id = r.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        WHERE s.kind = 'staff_satisfaction'
        GROUP BY p.code, i.category, rg.code
    )""" + _tail()


def k18(d: Dialect) -> str:
    # K18: % of the complaints about the Agency received in P that recur: another complaint about
    # the Agency, of the same category and subject, was received before it, at most 90 days before.
    return f"""
    agency AS (  -- recurrence is a property of the complaint: decide it once, not once per period
        SELECT c.received_at, c.institution_id,
               CASE WHEN EXISTS (
                   SELECT 1 FROM feedback_complaint prior
                   WHERE prior.about = 'agency' AND prior.category = c.category AND prior.subject = c.subject
                     AND prior.received_at < c.received_at
                     AND prior.received_at >= {d.days_before("c.received_at", 90)}
               ) THEN 1 ELSE 0 END AS recurs
        FROM feedback_complaint c
        WHERE c.about = 'agency' AND c.received_at >= %(plan_start_ts)s AND c.received_at < %(plan_end_ts)s
    ),
    by_group AS (
        SELECT p.code, COALESCE(i.category, '') AS category, {REGION} AS region,
               SUM(a.recurs) AS num, COUNT(*) AS den
        FROM periods p
        JOIN agency a ON a.received_at >= p.start_ts AND a.received_at < p.end_ts
        LEFT JOIN registry_institution i ON i.id = a.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY p.code, i.category, rg.code
    )""" + _tail()


def r01(d: Dialect) -> str:
    # R01: 24×7 availability: Σ seconds up ÷ Σ seconds monitored, over the days of P on which each
    # monitored e-service was live.
    return f"""
    by_group AS (
        SELECT p.code, i.category, {REGION} AS region,
               SUM(m.seconds_up) AS num, SUM(m.seconds_monitored) AS den
        FROM periods p
        JOIN monitor_monitorday m ON m.day BETWEEN p.start_d AND p.end_d
        JOIN registry_eservice e ON e.id = m.eservice_id
        JOIN registry_institution i ON i.id = e.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        WHERE e.launched_on <= m.day AND (e.retired_on IS NULL OR e.retired_on > m.day)
        GROUP BY p.code, i.category, rg.code
    )""" + _tail()


def _median_only(d: Dialect, measured: str, org_unit_rows: bool) -> str:
    """The tail of R02 and R12: the median of ``measured`` (code, days, category, region[,
    org_unit_id]) per group; the value is the median itself."""
    fallback = (
        ""
        if org_unit_rows
        else f"""
        UNION ALL SELECT 'org_unit', t.code, CAST(l.ancestor_id AS TEXT), t.median FROM total t {RESPONSIBLE_UNITS}"""
    )
    return f"""{measured},{_median_stats(d, org_units=org_unit_rows)},
    total AS (SELECT p.code, s.median FROM periods p LEFT JOIN stats s ON s.dim = '' AND s.code = p.code)
    SELECT dim, code, grp, median, NULL, median FROM (
        SELECT '' AS dim, code, '' AS grp, median FROM total
        UNION ALL SELECT dim, code, grp, median FROM stats WHERE dim <> ''{fallback}
    ) v"""


def r02(d: Dialect) -> str:
    # R02: median days from receipt to resolution of the complaints resolved in P.
    return _median_only(
        d,
        f"""
    measured AS (
        SELECT p.code, {d.days_between_times("c.received_at", "c.resolved_at")} AS days,
               COALESCE(i.category, '') AS category, {REGION} AS region
        FROM periods p
        JOIN feedback_complaint c ON c.resolved_at >= p.start_ts AND c.resolved_at < p.end_ts
        LEFT JOIN registry_institution i ON i.id = c.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
    )""",
        org_unit_rows=False,
    )


def r04(d: Dialect) -> str:
    # R04: % of the initiatives started in P whose Agency review was approved on or before their start.
    return f"""
    by_group AS (
        SELECT p.code, i.category, {REGION} AS region,
               SUM(CASE WHEN x.review_status = 'approved' AND x.reviewed_on <= x.start_on THEN 1 ELSE 0 END) AS num,
               COUNT(*) AS den
        FROM periods p
        JOIN registry_initiative x ON x.start_on BETWEEN p.start_d AND p.end_d
        JOIN registry_institution i ON i.id = x.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        GROUP BY p.code, i.category, rg.code
    )""" + _tail()


def r08(d: Dialect) -> str:
    # R08: connections (institution × shared resource subscriptions) to interoperability resources
    # active at P.end.
    return f"""
    by_group AS (
        SELECT p.code, i.category, {REGION} AS region, COUNT(*) AS num, 0 AS den
        FROM periods p
        JOIN registry_resourcesubscription s
          ON s.started_on <= p.end_d AND (s.ended_on IS NULL OR s.ended_on > p.end_d)
        JOIN registry_sharedresource r ON r.id = s.resource_id
        JOIN registry_institution i ON i.id = s.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        WHERE r.kind = 'interoperability'
        GROUP BY p.code, i.category, rg.code
    )""" + _tail("NULL", "num")


def r12(d: Dialect) -> str:
    # R12: median days from request to completion of the technical-support engagements completed in
    # P; by org unit, those of that unit and the units below it.
    return _median_only(
        d,
        f"""
    measured AS (
        SELECT p.code, {d.days_between_dates("e.requested_on", "e.completed_on")} AS days,
               i.category, {REGION} AS region, e.org_unit_id
        FROM periods p
        JOIN services_engagement e ON e.completed_on BETWEEN p.start_d AND p.end_d
        JOIN registry_institution i ON i.id = e.institution_id
        LEFT JOIN registry_region rg ON rg.id = i.region_id
        WHERE e.kind = 'technical_support'
    )""",
        org_unit_rows=True,
    )


def r14(d: Dialect) -> str:
    # R14: revenue received in P from e-Government services (TZS).
    return """
    by_group AS (
        SELECT p.code, SUM(r.amount) AS num, 0 AS den
        FROM periods p JOIN services_revenue r ON r.received_on BETWEEN p.start_d AND p.end_d
        WHERE r.source = 'egov_services'
        GROUP BY p.code
    )""" + _tail("NULL", "num", by_institution=False)


QUERIES: dict[str, Callable[[Dialect], str]] = {
    "K01": k01,
    "K02": k02,
    "K03": k03,
    "K04": k04,
    "K05": k05,
    "K06": k06,
    "K07": k07,
    "K08": k08,
    "K09": k09,
    "K10": k10,
    "K11": k11,
    "K13": k13,
    "K14": k14,
    "K15": k15,
    "K16": k16,
    "K17": k17,
    "K18": k18,
    "R01": r01,
    "R02": r02,
    "R04": r04,
    "R08": r08,
    "R12": r12,
    "R14": r14,
}
# K12: the equal-weight mean of these indicators' values for the same period and group.
COMPOSITES: dict[str, list[tuple[str, int]]] = {"K12": [("K03", 1), ("K05", 1), ("K08", 1), ("K11", 1)]}
EXTRAS = {"K09": ("median",)}


def sql_for(code: str, dialect: Dialect, periods: list[PlanPeriod]) -> tuple[str, dict[str, Any]]:
    cte, params = dialect.periods_cte(periods)
    params.update(
        {
            "indicator": code,
            "plan_start_ts": dialect.midnight(min(p.start for p in periods)),
            "plan_end_ts": dialect.midnight(max(p.end for p in periods) + timedelta(days=1)),
        }
    )
    return f"WITH {cte},{QUERIES[code](dialect)}", params


# --- Running ---------------------------------------------------------------------------------------
Raw = list[tuple[Any, ...]]  # rows as the database returns them


class Reference:
    """The reference numbers of one plan: ``run(code)`` executes one indicator's query (or, for a
    composite, combines its parts' rows) and keeps the raw rows; ``results`` gives them keyed."""

    def __init__(self, plan_id: int) -> None:
        from django.db import connection

        self.plan_id = plan_id
        self.dialect = Dialect(connection.vendor)
        self.periods = plan_periods(plan_id)
        self.raw: dict[str, Raw] = {}

    def sql(self, code: str) -> tuple[str, dict[str, Any]]:
        sql, params = sql_for(code, self.dialect, self.periods)
        params["plan"] = self.plan_id
        return sql, params

    def run(self, code: str) -> Raw:
        from django.db import connection

        if code in COMPOSITES:
            rows = self._composite(code)
        else:
            sql, params = self.sql(code)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        self.raw[code] = rows
        return rows

    def _composite(self, code: str) -> Raw:
        parts = COMPOSITES[code]
        values: dict[tuple[str, str, str], list[tuple[int, Any]]] = {}
        for part, weight in parts:
            if part not in self.raw:
                self.run(part)
            for dim, period, group, _num, _den, value, *_ in self.raw[part]:
                values.setdefault((dim, period, group), [])
                if value is not None:
                    values[(dim, period, group)].append((weight, value))
        rows: Raw = []
        for p in self.periods:  # the Agency: a row for every period, valued or not
            found = values.get(("", p.code, ""), [])
            rows.append(_weighted("", p.code, "", found))
        for (dim, period, group), found in values.items():
            if dim and found:  # a group: only where some part has a value
                rows.append(_weighted(dim, period, group, found))
        return rows

    def results(self, code: str) -> dict[Key, Result]:
        out = {}
        names = EXTRAS.get(code, ())
        for dim, period, group, num, den, value, *extras in self.raw[code]:
            out[(code, period, dim, str(group))] = Result(
                _dec(num), _dec(den), _dec(value), {n: _dec(x) for n, x in zip(names, extras, strict=True)}
            )
        return out


def _weighted(dim: str, period: str, group: str, found: list[tuple[int, Any]]) -> tuple[Any, ...]:
    weight = sum(w for w, _ in found)
    total = sum(Decimal(w) * Decimal(str(v)) for w, v in found) if found else None
    return (dim, period, group, total, weight, total / weight if found else None)  # type: ignore[operator]


def _dec(x: Any) -> Decimal | None:
    if x is None:
        return None
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"not a number: {x}")
    return x if isinstance(x, Decimal) else Decimal(str(x))


def run_all(plan_id: int, codes: Iterable[str]) -> tuple[Reference, dict[str, float]]:
    """Every reference query once, composites after their parts; the seconds each took. A code with
    no reference query is skipped (its engine rows then show as differences)."""
    ref = Reference(plan_id)
    timings = {}
    codes = [c for c in codes if c in QUERIES or c in COMPOSITES]
    for code in [c for c in codes if c not in COMPOSITES] + [c for c in codes if c in COMPOSITES]:
        started = time.perf_counter()
        ref.run(code)
        timings[code] = time.perf_counter() - started
    return ref, timings


# --- The engine's numbers, in the same shape -------------------------------------------------------
def from_engine_rows(code: str, rows: Iterable[Any]) -> dict[Key, Result]:
    """``engine.evaluate``'s rows (period, dimension, group, numerator, denominator, value, extras)."""
    return {
        (code, r.period.code, r.dimension, r.group): Result(
            _dec(r.numerator), _dec(r.denominator), _dec(r.value), {k: _dec(v) for k, v in r.extras.items()}
        )
        for r in rows
    }


def from_stored_values(plan_id: int, codes: Iterable[str]) -> dict[Key, Result]:
    """The stored measure.Value rows of the indicators named."""
    from tathmini.measure.models import Value

    qs = Value.objects.filter(indicator__plan_id=plan_id, indicator__code__in=list(codes)).values_list(
        "indicator__code", "period", "dimension", "group", "numerator", "denominator", "value", "extras"
    )
    return {
        (code, period, dim, group): Result(
            _dec(num), _dec(den), _dec(value), {k: _dec(v) for k, v in (extras or {}).items()}
        )
        for code, period, dim, group, num, den, value, extras in qs
    }


# --- Comparing -------------------------------------------------------------------------------------
def _equal(a: Decimal | None, b: Decimal | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    diff = abs(a - b)
    return diff <= TOLERANCE or diff <= TOLERANCE * max(abs(a), abs(b))


@dataclass
class Comparison:
    compared: int = 0
    differences: list[str] = field(default_factory=list)
    by_indicator: dict[str, int] = field(default_factory=dict)  # differences per indicator

    @property
    def equal(self) -> bool:
        return not self.differences


def compare(engine: dict[Key, Result], reference: dict[Key, Result], *, show: int = 20) -> Comparison:
    """Numerator, denominator, value and extras equal (to 1e-6, relative or absolute) for every
    (indicator, period, dimension, group); a row on one side only is a difference. Differences are
    listed in (indicator, dimension, period, group) order, the first ``show`` in full."""
    out = Comparison()
    keys = sorted(set(engine) | set(reference), key=lambda k: (k[0], k[2], k[1], k[3]))
    for key in keys:
        e, r = engine.get(key), reference.get(key)
        code, period, dim, group = key
        where = f"{code} {period} {dim or '(all)'}{':' + group if dim else ''}"
        problem = None
        if e is None or r is None:
            present = r if e is None else e
            assert present is not None
            problem = (
                f"{where}: only in the {'reference' if e is None else 'engine'} "
                f"(num {present.numerator}, den {present.denominator}, value {present.value})"
            )
        else:
            out.compared += 1
            bad = [
                f"{name} engine {a} ≠ reference {b}"
                for name, a, b in (
                    ("numerator", e.numerator, r.numerator),
                    ("denominator", e.denominator, r.denominator),
                    ("value", e.value, r.value),
                )
                if not _equal(a, b)
            ]
            for name in sorted(set(e.extras) | set(r.extras)):
                if name == "carried_from":
                    continue
                if name not in e.extras or name not in r.extras or not _equal(e.extras[name], r.extras[name]):
                    bad.append(f"{name} engine {e.extras.get(name, '—')} ≠ reference {r.extras.get(name, '—')}")
            if bad:
                problem = f"{where}: " + "; ".join(bad)
        if problem:
            out.by_indicator[code] = out.by_indicator.get(code, 0) + 1
            if len(out.differences) < show:
                out.differences.append(problem)
            elif len(out.differences) == show:
                out.differences.append("…")
    return out


def report(comparison: Comparison, label: str) -> str:
    if comparison.equal:
        return f"{label}: equal ({comparison.compared:,} rows compared)"
    counts = ", ".join(f"{code} {n}" for code, n in sorted(comparison.by_indicator.items()))
    lines = [f"{label}: DIFFERENT — {sum(comparison.by_indicator.values()):,} rows differ ({counts})"]
    lines += [f"  {d}" for d in comparison.differences]
    return "\n".join(lines)

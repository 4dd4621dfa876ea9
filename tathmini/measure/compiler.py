"""Compile definition terms to SQL aggregates grouped by period and dimension.

One query evaluates one term for many periods at once: the periods are a small derived table
(``WITH periods(...) AS (VALUES …)``) joined to the source's rows by the term's period relation,
and the query groups by period and by the dimension value. So the number of queries depends on
the number of terms and dimensions, never on the number of records. The same SQL runs on SQLite
and PostgreSQL; where the two differ (date arithmetic) the difference is in one small function.

Field paths (``institution__region__code``) become LEFT JOINs found from the models' metadata;
values are always passed as parameters, never pasted into the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, models

from tathmini.core import periods as P
from tathmini.measure import sources

ORG_UNIT_DIMENSION = "org_unit"
LINK_TABLE = "measure_orgunitlink"


@dataclass(frozen=True)
class EvalPeriod:
    """A period to evaluate: ``start`` is the period's own start, or the plan's for cumulative."""

    code: str
    start: date
    end: date


def period_rows(evals: list[EvalPeriod]) -> tuple[str, list[Any]]:
    """The periods derived table and its parameters: dates, and UTC midnights for timestamp fields.

    A timestamp is compared with a day through that day's midnight and the next one: start_ts and
    start_next_ts bound the first day, end_day_ts and end_ts the last (end_ts is the midnight after
    the period).
    """
    ops = connection.ops
    values, params = [], []
    for p in evals:
        values.append("(%s, %s, %s, %s, %s, %s, %s, %s)")
        params += [
            p.code,
            P.fiscal_year_of(p.end).code,
            ops.adapt_datefield_value(p.start),
            ops.adapt_datefield_value(p.end),
            ops.adapt_datetimefield_value(_midnight(p.start)),
            ops.adapt_datetimefield_value(_midnight(p.start + timedelta(days=1))),
            ops.adapt_datetimefield_value(_midnight(p.end)),
            ops.adapt_datetimefield_value(_midnight(p.end + timedelta(days=1))),
        ]
    if connection.vendor == "postgresql":
        # PostgreSQL types untyped VALUES as text: cast the columns once, in the first row.
        values[0] = "(%s::text, %s::text, %s::date, %s::date" + ", %s::timestamptz" * 4 + ")"
    columns = "code, fy, start_d, end_d, start_ts, start_next_ts, end_day_ts, end_ts"
    cte = f"periods({columns}) AS (VALUES " + ", ".join(values) + ")"
    return cte, params


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass
class _Query:
    """Builds the FROM/JOIN part for one source, creating one LEFT JOIN per foreign-key hop."""

    source: sources.Source
    alias: str = "t"
    joins: list[str] = field(default_factory=list)
    _aliases: dict[str, str] = field(default_factory=dict)

    def q(self, name: str) -> str:
        return connection.ops.quote_name(name)

    @property
    def table(self) -> str:
        return self.q(self.source.model._meta.db_table)

    def column(self, path: str) -> tuple[str, Any]:
        """SQL for a field path and the model field at its end."""
        model: Any = self.source.model
        alias = self.alias
        parts = path.split("__")
        prefix = ""
        for i, part in enumerate(parts):
            f = model._meta.get_field(part)
            last = i == len(parts) - 1
            if f.is_relation and not last:
                prefix = f"{prefix}__{part}" if prefix else part
                if prefix not in self._aliases:
                    new = f"j{len(self._aliases) + 1}{self.alias}"
                    target = f.related_model
                    self.joins.append(
                        f"LEFT JOIN {self.q(target._meta.db_table)} {new} "
                        f"ON {alias}.{self.q(f.column)} = {new}.{self.q(target._meta.pk.column)}"
                    )
                    self._aliases[prefix] = new
                alias = self._aliases[prefix]
                model = f.related_model
            else:
                return f"{alias}.{self.q(f.column)}", f
        raise ValueError(path)


def _is_timestamp(f: Any) -> bool:
    return isinstance(f, models.DateTimeField)


def _adapt(f: Any, value: Any) -> Any:
    ops = connection.ops
    if isinstance(f, models.DateTimeField) and isinstance(value, str):
        value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return ops.adapt_datetimefield_value(value)
    if isinstance(f, models.DateField) and isinstance(value, str):
        return ops.adapt_datefield_value(date.fromisoformat(value))
    if isinstance(f, models.DecimalField) and isinstance(value, (int, float)):
        return value
    return value


def days_between_sql(a: str, b: str) -> str:
    """Days from a to b (fractional for timestamps), the same number on both databases."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({b}::timestamptz - {a}::timestamptz)) / 86400.0)"
    return f"(julianday({b}) - julianday({a}))"


def _shift_days_sql(expr: str, days: int, timestamp: bool) -> str:
    if connection.vendor == "postgresql":
        return f"({expr} - INTERVAL '{int(days)} days')"
    fn = "datetime" if timestamp else "date"
    return f"{fn}({expr}, '-{int(days)} days')"


_SQL_OPS = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


class TermSQL:
    """The SQL of one term of a definition, for a list of periods and one dimension."""

    def __init__(self, term: dict[str, Any], dimension: str | None) -> None:
        self.term = term
        self.dimension = dimension
        source = sources.get(term["source"])
        if source is None:
            raise ValueError(f"unknown data source {term['source']!r}")
        self.source = source
        self.query = _Query(self.source)
        self.params: list[Any] = []

    # --- pieces ---------------------------------------------------------------------------------
    def value_sql(self, f: Any, value: Any) -> str:
        if value == "$start":
            return "p.start_ts" if _is_timestamp(f) else "p.start_d"
        if value == "$end":
            return "p.end_day_ts" if _is_timestamp(f) else "p.end_d"
        self.params.append(_adapt(f, value))
        return "%s"

    def _day_bounds(self, value: Any) -> tuple[str, str] | None:
        """SQL for the midnights around a day, when a timestamp is compared with a day."""
        if value == "$start":
            return "p.start_ts", "p.start_next_ts"
        if value == "$end":
            return "p.end_day_ts", "p.end_ts"
        if isinstance(value, str) and len(value) == 10:  # a literal date, not a moment
            day = date.fromisoformat(value)
            self.params += [
                connection.ops.adapt_datetimefield_value(_midnight(day)),
                connection.ops.adapt_datetimefield_value(_midnight(day + timedelta(days=1))),
            ]
            return "%s", "%s"
        return None

    def compare(self, col: str, f: Any, op: str, value: Any) -> str:
        bounds = self._day_bounds(value) if _is_timestamp(f) else None
        if bounds is not None:
            # A moment compared with a calendar day (UTC): on the day means from its midnight to
            # the next one. Both bounds' parameters were added in this order; keep the SQL in it.
            lower, upper = bounds
            sql = {
                "lt": f"{col} < {lower}",
                "lte": f"{col} < {upper}",
                "gt": f"{col} >= {upper}",
                "gte": f"{col} >= {lower}",
                "eq": f"({col} >= {lower} AND {col} < {upper})",
                "ne": f"({col} < {lower} OR {col} >= {upper})",
            }[op]
            if lower == "%s" and op in ("lte", "gt"):
                self.params.pop(-2)  # only the upper bound is used
            elif lower == "%s" and op in ("lt", "gte"):
                self.params.pop()  # only the lower bound is used
            return sql
        return f"{col} {_SQL_OPS[op]} {self.value_sql(f, value)}"

    def filter_sql(self, flt: dict[str, Any]) -> str:
        if "any" in flt:
            return "(" + " OR ".join(self.filter_sql(f) for f in flt["any"]) + ")"
        op = flt["op"]
        if op == "has_prior":
            return self.has_prior_sql(flt)
        col, f = self.query.column(flt["field"])
        if op in ("is_null", "not_null"):
            return f"{col} IS {'NOT ' if op == 'not_null' else ''}NULL"
        if op in ("in", "not_in"):
            marks = ", ".join(self.value_sql(f, v) for v in flt["value"])
            return f"{col} {'NOT ' if op == 'not_in' else ''}IN ({marks})"
        if op.endswith("_field"):
            other, _ = self.query.column(flt["value"])
            return f"{col} {_SQL_OPS[op[:-6]]} {other}"
        if op.endswith("_or_null"):
            return f"({self.compare(col, f, op[:-8], flt['value'])} OR {col} IS NULL)"
        return self.compare(col, f, op, flt["value"])

    def has_prior_sql(self, flt: dict[str, Any]) -> str:
        """EXISTS an earlier row of the same source, equal on ``match``, within ``within_days``."""
        inner = TermSQL({"source": self.term["source"], "aggregate": "count", "period": {"match": "state"}}, None)
        inner.query.alias = "prior"
        conditions = []
        for path in flt["match"]:
            mine, _ = self.query.column(path)
            theirs, _ = inner.query.column(path)
            conditions.append(f"{theirs} = {mine}")
        mine, f = self.query.column(flt["field"])
        theirs, _ = inner.query.column(flt["field"])
        conditions.append(f"{theirs} < {mine}")
        conditions.append(f"{theirs} >= {_shift_days_sql(mine, flt['within_days'], _is_timestamp(f))}")
        conditions += [inner.filter_sql(f2) for f2 in flt.get("filters", [])]
        self.params += inner.params
        joins = " ".join(inner.query.joins)
        return f"EXISTS (SELECT 1 FROM {inner.query.table} prior {joins} WHERE {' AND '.join(conditions)})"

    def expression_sql(self, expr: Any) -> str:
        if isinstance(expr, dict):
            a, _ = self.query.column(expr["days_between"][0])
            b, _ = self.query.column(expr["days_between"][1])
            return days_between_sql(a, b)
        col, _ = self.query.column(expr)
        return col

    def period_sql(self) -> str:
        period = self.term["period"]
        match = period["match"]
        if match == "state":
            return ""
        col, f = self.query.column(period["field"])
        if match == "fiscal_year":
            return f"{col} = p.fy"
        if _is_timestamp(f):
            return f"{col} >= p.start_ts AND {col} < p.end_ts"
        return f"{col} >= p.start_d AND {col} <= p.end_d"

    def dimension_sql(self) -> str:
        if self.dimension is None:
            return "''"
        if self.dimension == ORG_UNIT_DIMENSION:
            col, _ = self.query.column(self.source.org_unit)  # type: ignore[arg-type]
            self.query.joins.append(f"JOIN {LINK_TABLE} ol ON ol.descendant_id = {col}")
            return (
                "CAST(ol.ancestor_id AS VARCHAR(20))"
                if connection.vendor == "postgresql"
                else "CAST(ol.ancestor_id AS TEXT)"
            )
        col, _ = self.query.column(self.source.dimensions[self.dimension])
        return (
            f"COALESCE(CAST({col} AS VARCHAR(100)), '')"
            if connection.vendor == "postgresql"
            else f"COALESCE({col}, '')"
        )

    # --- the whole query ------------------------------------------------------------------------
    def pipeline(self) -> tuple[str, list[Any]]:
        """The term's rows after the period relation, filters, latest-per-entity and then-filters.

        Columns: pcode, dim, rid (the record's primary key), v (the aggregated expression or the
        entity counted), hv (the having expression).
        """
        t = self.term
        agg = t["aggregate"]
        latest = t.get("latest")
        having = t.get("having")
        self.params = []
        pk_column = str(self.source.model._meta.pk.column)
        needed: list[tuple[str, str]] = [("rid", f"t.{self.query.q(pk_column)}")]
        if agg in ("sum", "median", "count_distinct"):
            needed.append(("v", self.expression_sql(t["field"])))
        else:
            needed.append(("v", "NULL"))
        if having and having["aggregate"] != "count":
            needed.append(("hv", self.expression_sql(having["field"])))
        then_cols: dict[str, str] = {}
        if latest:
            for i, path in enumerate(latest["per"]):
                needed.append((f"e{i}", self.expression_sql(path)))
            needed.append(("ord", self.expression_sql(latest["order_by"])))
            for flt in t.get("then", []):
                paths = [flt.get("field"), flt["value"] if flt.get("op", "").endswith("_field") else None]
                for path in paths:
                    if path and path not in then_cols:
                        then_cols[path] = f"c{len(then_cols)}"
                        needed.append((then_cols[path], self.expression_sql(path)))
        dim = self.dimension_sql()
        where = [w for w in [self.period_sql()] if w]
        where += [self.filter_sql(f) for f in t.get("filters", [])]
        select = ", ".join(["p.code AS pcode", f"{dim} AS dim", *(f"{sql} AS {name}" for name, sql in needed)])
        rows = f"SELECT {select} FROM periods p CROSS JOIN {self.query.table} t {' '.join(self.query.joins)}"
        if where:
            rows += " WHERE " + " AND ".join(where)
        if latest:
            per = ", ".join(f"e{i}" for i in range(len(latest["per"])))
            ranked = (
                # dim is in the partition: with the org-unit link a record appears once per ancestor.
                f"SELECT r.*, ROW_NUMBER() OVER (PARTITION BY pcode, dim, {per} ORDER BY ord DESC, rid DESC) AS rn "
                f"FROM ({rows}) r"
            )
            conditions = ["rn = 1"] + [self._then_sql(flt, then_cols) for flt in t.get("then", [])]
            rows = f"SELECT * FROM ({ranked}) k WHERE {' AND '.join(conditions)}"
        return rows, list(self.params)

    def _passing(self, rows: str) -> tuple[str, list[Any]]:
        having = self.term["having"]
        fn = {"mean": "AVG", "sum": "SUM", "count": "COUNT", "min": "MIN", "max": "MAX"}[having["aggregate"]]
        arg = "*" if having["aggregate"] == "count" else "hv"
        sql = (
            f"SELECT pcode, dim, v FROM ({rows}) g GROUP BY pcode, dim, v "
            # Rounded: SQLite keeps decimals as binary floats, so a mean of exactly 4 could come out
            # as 3.9999999999999996 and fail "≥ 4"; nine places are far below any Likert step.
            f"HAVING ROUND({fn}({arg}), 9) {_SQL_OPS[having['op']]} %s"
        )
        return sql, [having["value"]]

    def aggregate_sql(self) -> tuple[str, list[Any]]:
        """SELECT pcode, dim, value … GROUP BY pcode, dim."""
        rows, params = self.pipeline()
        agg = self.term["aggregate"]
        if self.term.get("having"):
            passing, extra = self._passing(rows)
            return f"SELECT pcode, dim, COUNT(*) AS value FROM ({passing}) h GROUP BY pcode, dim", params + extra
        if agg == "count":
            return f"SELECT pcode, dim, COUNT(*) AS value FROM ({rows}) a GROUP BY pcode, dim", params
        if agg == "count_distinct":
            return f"SELECT pcode, dim, COUNT(DISTINCT v) AS value FROM ({rows}) a GROUP BY pcode, dim", params
        if agg == "sum":
            return f"SELECT pcode, dim, SUM(v) AS value FROM ({rows}) a GROUP BY pcode, dim", params
        # median: the middle row (or the mean of the two middle rows) of each group.
        ranked = (
            f"SELECT pcode, dim, v, ROW_NUMBER() OVER (PARTITION BY pcode, dim ORDER BY v) AS rn, "
            f"COUNT(*) OVER (PARTITION BY pcode, dim) AS cnt FROM ({rows}) a WHERE v IS NOT NULL"
        )
        sql = (
            f"SELECT pcode, dim, AVG(v) AS value FROM ({ranked}) m "
            f"WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2) GROUP BY pcode, dim"
        )
        return sql, params

    def drilldown_sql(self, dim_value: str) -> tuple[str, list[Any]]:
        """The primary keys of the records behind the term's value, for the one period given."""
        rows, params = self.pipeline()
        if self.term.get("having"):
            passing, extra = self._passing(rows)
            sql = (
                f"SELECT r.rid FROM ({rows}) r JOIN ({passing}) h "
                f"ON h.pcode = r.pcode AND h.dim = r.dim AND h.v = r.v WHERE r.dim = %s"
            )
            return sql, params + params + extra + [dim_value]
        return f"SELECT rid FROM ({rows}) r WHERE dim = %s", [*params, dim_value]

    def _then_sql(self, flt: dict[str, Any], cols: dict[str, str]) -> str:
        col = cols[flt["field"]]
        op = flt["op"]
        if op.endswith("_field"):
            return f"{col} {_SQL_OPS[op[:-6]]} {cols[flt['value']]}"
        if op in ("is_null", "not_null"):
            return f"{col} IS {'NOT ' if op == 'not_null' else ''}NULL"
        if op in ("in", "not_in"):
            self.params += list(flt["value"])
            return f"{col} {'NOT ' if op == 'not_in' else ''}IN ({', '.join('%s' for _ in flt['value'])})"
        base = op[:-8] if op.endswith("_or_null") else op
        self.params.append(flt["value"])
        sql = f"{col} {_SQL_OPS[base]} %s"
        return f"({sql} OR {col} IS NULL)" if op.endswith("_or_null") else sql


def term_query(term: dict[str, Any], dimension: str | None, evals: list[EvalPeriod]) -> tuple[str, list[Any]]:
    """The complete SQL and parameters of one term: rows (pcode, dim, value)."""
    cte, params = period_rows(evals)
    body, body_params = TermSQL(term, dimension).aggregate_sql()
    return f"WITH {cte} {body}", params + body_params


def drilldown_query(
    term: dict[str, Any], period: EvalPeriod, dimension: str | None, dim_value: str
) -> tuple[str, list[Any]]:
    cte, params = period_rows([period])
    body, body_params = TermSQL(term, dimension).drilldown_sql(dim_value)
    return f"WITH {cte} {body}", params + body_params

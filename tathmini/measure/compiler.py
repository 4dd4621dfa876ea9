"""Compile definition terms to SQL aggregates grouped by period and dimension.

One query evaluates one term for many periods and every disaggregation at once: the periods
are a small derived table (``WITH periods(...) AS (VALUES …)``) joined to the source's rows by the
term's period relation, and the query groups by period and by each dimension's value (see
``TermSQL``). So the number of queries depends on the number of terms, never on the number of
records. The same SQL runs on SQLite and PostgreSQL; where the two differ (date arithmetic, the
calendar month, the median) the difference is in one small function.

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
    the period). start_m and end_m are the first and last calendar month as year × 12 + month.
    """
    ops = connection.ops
    values, params = [], []
    for p in evals:
        values.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
        params += [
            p.code,
            P.fiscal_year_of(p.end).code,
            ops.adapt_datefield_value(p.start),
            ops.adapt_datefield_value(p.end),
            ops.adapt_datetimefield_value(_midnight(p.start)),
            ops.adapt_datetimefield_value(_midnight(p.start + timedelta(days=1))),
            ops.adapt_datetimefield_value(_midnight(p.end)),
            ops.adapt_datetimefield_value(_midnight(p.end + timedelta(days=1))),
            p.start.year * 12 + p.start.month,
            p.end.year * 12 + p.end.month,
        ]
    if connection.vendor == "postgresql":
        # PostgreSQL types untyped VALUES as text: cast the columns once, in the first row.
        values[0] = "(%s::text, %s::text, %s::date, %s::date" + ", %s::timestamptz" * 4 + ", %s::int, %s::int)"
    columns = "code, fy, start_d, end_d, start_ts, start_next_ts, end_day_ts, end_ts, start_m, end_m"
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


def mentions_period(flt: Any) -> bool:
    """Whether a filter compares with the period's own bounds ($start / $end), at any depth."""
    if isinstance(flt, dict):
        return any(mentions_period(v) for v in flt.values())
    if isinstance(flt, list):
        return any(mentions_period(v) for v in flt)
    return flt in ("$start", "$end")


def _month_aligned(evals: list[EvalPeriod]) -> bool:
    return all(p.start.day == 1 and (p.end + timedelta(days=1)).day == 1 for p in evals)


class TermSQL:
    """The SQL of one term of a definition, for a list of periods and one or more dimensions.

    The query has stages, each a materialised common table expression (both databases honour
    the keyword) because every later branch reads it. ``base`` reads the source's rows once: its
    joins, the filters that do not depend on the period (a recurrence check among them, so it
    runs once per record and not once per record, period and disaggregation), and the columns
    the later stages need; for events it is also bounded by the earliest start and latest end of
    the periods asked, so a refresh of a few periods reads only their records. ``joined`` matches
    those rows to the periods (events through their calendar month, ``pm``: an equality; state
    terms with the filters on the period's bounds), and, for a "latest row per entity" term whose
    groups are properties of the entity, keeps each entity's latest row there once. Then one
    branch per disaggregation groups by period and group value (UNION ALL).

    When the term only adds up rows by the date they happened (count, sum, distinct count; no
    filter on the period's bounds) and the periods are whole months, ``base`` is instead summed
    per calendar month and group value (a distinct count: deduplicated), and each branch adds up
    the months of each period: a few thousand monthly sums instead of every record again.
    """

    def __init__(self, term: dict[str, Any]) -> None:
        self.term = term
        source = sources.get(term["source"])
        if source is None:
            raise ValueError(f"unknown data source {term['source']!r}")
        self.source = source
        self.query = _Query(self.source)
        self.params: list[Any] = []
        # Outer mode: column references name ``base``'s columns (registered on first use) instead
        # of the source table's.
        self._outer = False
        self._base_cols: dict[str, str] = {}
        self.by_month = False

    # --- pieces ---------------------------------------------------------------------------------
    def column(self, path: str) -> tuple[str, Any]:
        sql, f = self.query.column(path)
        if not self._outer:
            return sql, f
        alias = self._base_cols.get(sql)
        if alias is None:
            alias = self._base_cols[sql] = f"c{len(self._base_cols)}"
        return f"b.{alias}", f

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
        col, f = self.column(flt["field"])
        if op in ("is_null", "not_null"):
            return f"{col} IS {'NOT ' if op == 'not_null' else ''}NULL"
        if op in ("in", "not_in"):
            marks = ", ".join(self.value_sql(f, v) for v in flt["value"])
            return f"{col} {'NOT ' if op == 'not_in' else ''}IN ({marks})"
        if op.endswith("_field"):
            other, _ = self.column(flt["value"])
            return f"{col} {_SQL_OPS[op[:-6]]} {other}"
        if op.endswith("_or_null"):
            return f"({self.compare(col, f, op[:-8], flt['value'])} OR {col} IS NULL)"
        return self.compare(col, f, op, flt["value"])

    def has_prior_sql(self, flt: dict[str, Any]) -> str:
        """An earlier row of the same source, equal on ``match``, within ``within_days``.

        Written as "the latest earlier row is recent enough" rather than EXISTS: PostgreSQL turns
        an EXISTS into a hash semi-join on the matched fields, which with few distinct categories
        compares every pair of rows in them (seconds at national scale), while a MAX under an
        index on the matched fields and the date is one index probe per row on both databases.
        """
        inner = TermSQL({"source": self.term["source"], "aggregate": "count", "period": {"match": "state"}})
        inner.query.alias = "prior"
        conditions = []
        for path in flt["match"]:
            mine, _ = self.column(path)
            theirs, _ = inner.query.column(path)
            conditions.append(f"{theirs} = {mine}")
        mine, f = self.column(flt["field"])
        theirs, _ = inner.query.column(flt["field"])
        conditions.append(f"{theirs} < {mine}")
        conditions += [inner.filter_sql(f2) for f2 in flt.get("filters", [])]
        self.params += inner.params
        joins = " ".join(inner.query.joins)
        latest = f"(SELECT MAX({theirs}) FROM {inner.query.table} prior {joins} WHERE {' AND '.join(conditions)})"
        return f"{latest} >= {_shift_days_sql(mine, flt['within_days'], _is_timestamp(f))}"

    def expression_sql(self, expr: Any) -> str:
        if isinstance(expr, dict):
            a, _ = self.column(expr["days_between"][0])
            b, _ = self.column(expr["days_between"][1])
            return days_between_sql(a, b)
        col, _ = self.column(expr)
        return col

    def _month_sql(self, col: str, timestamp: bool) -> str:
        """The calendar month of a date or (UTC) moment as one integer, year × 12 + month."""
        if connection.vendor == "postgresql":
            value = f"({col} AT TIME ZONE 'UTC')" if timestamp else col
            return f"CAST(EXTRACT(YEAR FROM {value}) * 12 + EXTRACT(MONTH FROM {value}) AS INTEGER)"
        # SQLite keeps dates and UTC moments as ISO text: the month is in fixed places.
        return f"(CAST(substr({col}, 1, 4) AS INTEGER) * 12 + CAST(substr({col}, 6, 2) AS INTEGER))"

    def _dimension_column(self, dimension: str) -> str:
        path = self.source.org_unit if dimension == ORG_UNIT_DIMENSION else self.source.dimensions[dimension]
        col, _ = self.query.column(path)  # type: ignore[arg-type]
        return col

    def _branch_dim(self, dimension: str | None, cols: dict[str, str], alias: str) -> tuple[str, str]:
        """(SQL of the group value, extra join) for one dimension's branch."""
        if not dimension:
            return "''", ""
        if dimension == ORG_UNIT_DIMENSION:
            cast = "VARCHAR(20)" if connection.vendor == "postgresql" else "TEXT"
            return (
                f"CAST(ol.ancestor_id AS {cast})",
                f"JOIN {LINK_TABLE} ol ON ol.descendant_id = {alias}.{cols[dimension]}",
            )
        col = f"{alias}.{cols[dimension]}"
        if connection.vendor == "postgresql":
            return f"COALESCE(CAST({col} AS VARCHAR(100)), '')", ""
        return f"COALESCE({col}, '')", ""

    # --- the whole query ------------------------------------------------------------------------
    def build(
        self, dimensions: list[str | None], evals: list[EvalPeriod], *, aggregate: bool = True
    ) -> tuple[list[tuple[str, str, list[Any]]], dict[str, tuple[str, list[Any]]]]:
        """The common table expressions (name, SQL, parameters: ``base``, and ``joined``, the base
        rows matched to their periods), and per dimension the branch's SQL and parameters.

        A branch yields (pcode, dim, value) when ``aggregate``, otherwise the rows before
        aggregation (pcode, dim, rid, v, …) for the drill-down.
        """
        t = self.term
        agg = t["aggregate"]
        latest = t.get("latest")
        having = t.get("having")
        period = t["period"]
        filters = t.get("filters", [])
        inner_filters = [f for f in filters if not mentions_period(f)]
        outer_filters = [f for f in filters if mentions_period(f)]
        dim_cols = {d: f"d_{d}" for d in dimensions if d}
        # Events over whole months (every plan period) join the periods through their months,
        # an equality the databases can hash or index, instead of a range compared row by row.
        self.by_month = period["match"] == "events" and bool(evals) and _month_aligned(evals)
        monthly = (
            aggregate
            and agg in ("count", "sum", "count_distinct")
            and not latest
            and not having
            and not outer_filters
            and self.by_month
        )

        # Outer pieces first: they register the base columns they read.
        self._outer = True
        self.params = []
        outer_where = [self.filter_sql(f) for f in outer_filters]
        outer_params = self.params
        self._outer = False

        self.params = []
        select: list[tuple[str, str]] = [("rid", f"t.{self.query.q(str(self.source.model._meta.pk.column))}")]
        if agg in ("sum", "median", "count_distinct"):
            select.append(("v", self.expression_sql(t["field"])))
        else:
            select.append(("v", "NULL"))
        if having and having["aggregate"] != "count":
            select.append(("hv", self.expression_sql(having["field"])))
        then_cols: dict[str, str] = {}
        if latest:
            for i, path in enumerate(latest["per"]):
                select.append((f"e{i}", self.expression_sql(path)))
            select.append(("ord", self.expression_sql(latest["order_by"])))
            for flt in t.get("then", []):
                paths = [flt.get("field"), flt["value"] if flt.get("op", "").endswith("_field") else None]
                for path in paths:
                    if path and path not in then_cols:
                        then_cols[path] = f"k{len(then_cols)}"
                        select.append((then_cols[path], self.expression_sql(path)))
        period_col, period_field = (None, None)
        if period["match"] != "state":
            period_col, period_field = self.query.column(period["field"])
            select.append(("pc", period_col))
            if self.by_month:
                select.append(("m", self._month_sql(period_col, _is_timestamp(period_field))))
        for d, alias in dim_cols.items():
            select.append((alias, self._dimension_column(d)))
        select += [(alias, sql) for sql, alias in self._base_cols.items()]
        where = [self.filter_sql(f) for f in inner_filters]
        if period["match"] == "events" and evals:
            # Only the records that can fall in one of the periods asked.
            ops = connection.ops
            first, last = min(p.start for p in evals), max(p.end for p in evals)
            if _is_timestamp(period_field):
                where.append(f"{period_col} >= %s AND {period_col} < %s")
                self.params += [
                    ops.adapt_datetimefield_value(_midnight(first)),
                    ops.adapt_datetimefield_value(_midnight(last + timedelta(days=1))),
                ]
            else:
                where.append(f"{period_col} >= %s AND {period_col} <= %s")
                self.params += [ops.adapt_datefield_value(first), ops.adapt_datefield_value(last)]
        base = f"SELECT {', '.join(f'{sql} AS {name}' for name, sql in select)} FROM {self.query.table} t "
        base += " ".join(self.query.joins)
        if where:
            base += " WHERE " + " AND ".join(where)
        base_params = self.params

        if monthly:
            keys = ", ".join(["m", *dim_cols.values()])
            if agg == "count_distinct":
                base = f"SELECT DISTINCT {keys}, v FROM ({base}) r"
            else:
                total = "COUNT(*)" if agg == "count" else "SUM(v)"
                base = f"SELECT {keys}, {total} AS n FROM ({base}) r GROUP BY {keys}"

        # The latest row per entity can be picked once for all branches when every branch's group
        # is a property of the entity (an e-service's institution's region, a post's unit).
        rank_once = latest is not None and all(self._follows_entity(d, latest["per"]) for d in dimensions)
        ctes = [("base", base, base_params)]
        if not monthly:
            # The records matched to their periods, once for every disaggregation's branch.
            relation = {
                "state": "",
                "fiscal_year": "b.pc = p.fy",
                "events": "b.pc >= p.start_ts AND b.pc < p.end_ts"
                if _is_timestamp(period_field)
                else "b.pc >= p.start_d AND b.pc <= p.end_d",
            }[period["match"]]
            carried = [name for name, _ in select if name != "pc"]
            if self.by_month:
                joined = "SELECT pm.code AS pcode, {cols} FROM pm JOIN base b ON b.m = pm.m "
                if outer_where:
                    joined += "JOIN periods p ON p.code = pm.code "
            else:
                joined = "SELECT p.code AS pcode, {cols} FROM periods p "
                joined += f"JOIN base b ON {relation} " if relation else "CROSS JOIN base b "
            if outer_where:
                joined += " WHERE " + " AND ".join(outer_where)
            if aggregate and agg == "count_distinct" and not latest and not having:
                # Only which values each period holds matters: one row per period, value and group.
                carried = ["v", *dim_cols.values()]
                joined = joined.replace("SELECT ", "SELECT DISTINCT ", 1)
            joined = joined.format(cols=", ".join(f"b.{name}" for name in carried))
            joined_params = list(outer_params)
            if latest and rank_once:
                joined, then_params = self._latest(joined, latest, then_cols, by_dim=False)
                joined_params += then_params
            ctes.append(("joined", joined, joined_params))

        branches: dict[str, tuple[str, list[Any]]] = {}
        for wanted in dimensions:
            if monthly:
                dim_sql, dim_join = self._branch_dim(wanted, dim_cols, "b")
                value = "COUNT(DISTINCT b.v)" if agg == "count_distinct" else "SUM(b.n)"
                sql = (
                    f"SELECT pm.code AS pcode, {dim_sql} AS dim, {value} AS value FROM pm "
                    f"JOIN base b ON b.m = pm.m {dim_join} GROUP BY pm.code{', ' + dim_sql if wanted else ''}"
                )
                branches[wanted or ""] = (sql, [])
                continue
            dim_sql, dim_join = self._branch_dim(wanted, dim_cols, "j")
            rows = f"SELECT j.*, {dim_sql} AS dim FROM joined j {dim_join}"
            params: list[Any] = []
            if latest and not rank_once:
                rows, params = self._latest(rows, latest, then_cols, by_dim=True)
            if aggregate:
                sql, extra = self._aggregate(rows)
                branches[wanted or ""] = (sql, params + extra)
            else:
                branches[wanted or ""] = (rows, params)
        return ctes, branches

    def _follows_entity(self, dimension: str | None, per: list[Any]) -> bool:
        if not dimension:
            return True
        path = self.source.org_unit if dimension == ORG_UNIT_DIMENSION else self.source.dimensions[dimension]
        return any(isinstance(p, str) and (path == p or str(path).startswith(p + "__")) for p in per)

    def _latest(
        self, rows: str, latest: dict[str, Any], then_cols: dict[str, str], *, by_dim: bool
    ) -> tuple[str, list[Any]]:
        """Keep each entity's latest row per period (per period and group with ``by_dim``: with the
        org-unit link a record appears once per ancestor), then the term's ``then`` filters."""
        per = ", ".join(["pcode", *(["dim"] if by_dim else []), *(f"e{i}" for i in range(len(latest["per"])))])
        ranked = f"SELECT r.*, ROW_NUMBER() OVER (PARTITION BY {per} ORDER BY ord DESC, rid DESC) AS rn FROM ({rows}) r"
        self.params = []
        conditions = ["rn = 1"] + [self._then_sql(flt, then_cols) for flt in self.term.get("then", [])]
        return f"SELECT * FROM ({ranked}) k WHERE {' AND '.join(conditions)}", self.params

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

    def _aggregate(self, rows: str) -> tuple[str, list[Any]]:
        """SELECT pcode, dim, value … GROUP BY pcode, dim, over one branch's rows."""
        agg = self.term["aggregate"]
        if self.term.get("having"):
            passing, extra = self._passing(rows)
            return f"SELECT pcode, dim, COUNT(*) AS value FROM ({passing}) h GROUP BY pcode, dim", extra
        if agg == "count":
            return f"SELECT pcode, dim, COUNT(*) AS value FROM ({rows}) a GROUP BY pcode, dim", []
        if agg == "count_distinct":
            return f"SELECT pcode, dim, COUNT(DISTINCT v) AS value FROM ({rows}) a GROUP BY pcode, dim", []
        if agg == "sum":
            return f"SELECT pcode, dim, SUM(v) AS value FROM ({rows}) a GROUP BY pcode, dim", []
        # median: the middle row (or the mean of the two middle rows) of each group.
        if connection.vendor == "postgresql":
            # The lower and the upper middle value as they are (exact decimals, where
            # percentile_cont would interpolate in binary floating point).
            sql = (
                "SELECT pcode, dim, (PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY v) "
                "+ PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY v DESC)) / 2 AS value "
                f"FROM ({rows}) a WHERE v IS NOT NULL GROUP BY pcode, dim"
            )
            return sql, []
        ranked = (
            f"SELECT pcode, dim, v, ROW_NUMBER() OVER (PARTITION BY pcode, dim ORDER BY v) AS rn, "
            f"COUNT(*) OVER (PARTITION BY pcode, dim) AS cnt FROM ({rows}) a WHERE v IS NOT NULL"
        )
        sql = (
            f"SELECT pcode, dim, AVG(v) AS value FROM ({ranked}) m "
            f"WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2) GROUP BY pcode, dim"
        )
        return sql, []

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


def _with(evals: list[EvalPeriod], ctes: list[tuple[str, str, list[Any]]]) -> tuple[str, list[Any]]:
    """The WITH clause: the periods, each period's months (pm: one row per period and calendar
    month it covers, year × 12 + month), and the term's own (materialised: each is read by every
    branch)."""
    cte, params = period_rows(evals)
    months = (
        "pm(code, m) AS (SELECT code, start_m FROM periods UNION ALL "
        "SELECT pm.code, pm.m + 1 FROM pm JOIN periods p ON p.code = pm.code WHERE pm.m < p.end_m)"
    )
    parts = [cte, months]
    for name, sql, cte_params in ctes:
        parts.append(f"{name} AS MATERIALIZED ({sql})")
        params += cte_params
    return "WITH RECURSIVE " + ", ".join(parts) + " ", params


def term_query(term: dict[str, Any], dimensions: list[str | None], evals: list[EvalPeriod]) -> tuple[str, list[Any]]:
    """The complete SQL and parameters of one term for several dimensions at once:
    rows (dimension, pcode, dim, value)."""
    ctes, branches = TermSQL(term).build(dimensions, evals)
    head, params = _with(evals, ctes)
    parts: list[str] = []
    for d, (sql, branch_params) in branches.items():
        parts.append(f"SELECT '{d}' AS dimension, pcode, dim, value FROM ({sql}) x{len(parts)}")
        params += branch_params
    return head + " UNION ALL ".join(parts), params


def drilldown_query(
    term: dict[str, Any], period: EvalPeriod, dimension: str | None, dim_value: str
) -> tuple[str, list[Any]]:
    """The primary keys of the records behind the term's value, for the one period given."""
    compiled = TermSQL(term)
    ctes, branches = compiled.build([dimension], [period], aggregate=False)
    head, params = _with([period], ctes)
    rows, row_params = branches[dimension or ""]
    if term.get("having"):
        passing, extra = compiled._passing(rows)
        sql = (
            f"SELECT r.rid FROM ({rows}) r JOIN ({passing}) h "
            f"ON h.pcode = r.pcode AND h.dim = r.dim AND h.v = r.v WHERE r.dim = %s"
        )
        return head + sql, params + row_params + row_params + extra + [dim_value]
    return head + f"SELECT rid FROM ({rows}) r WHERE dim = %s", params + row_params + [dim_value]

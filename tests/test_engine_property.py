"""The engine against a naive reference, on random data.

Hypothesis draws a few dozen records of every kind (institutions that open and close, e-services
that launch and retire, returns, surveys, complaints seconds apart …, dated 2012–2017 with a bias
towards period boundaries). The engine refreshes every indicator of the plan that has a
definition; the reference below recomputes each one from KPI-DEFINITIONS.md with plain loops over
the drawn records — it shares nothing with the engine's definition language — and the two must
agree on numerator, denominator and value, for the whole Agency and by institution category, for
every fiscal year and a few quarters and months.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from functools import partial
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tathmini.core import periods as P
from tathmini.measure import engine
from tathmini.measure.models import Value
from tathmini.strategy.models import Indicator
from tests import engine_data as E

# --- The drawn data -----------------------------------------------------------------------------
CATEGORIES = ("ministry", "lga", "agency")
REGIONS = ("dodoma", "arusha", None)
UNITS = ("utawala", "utawala-rasilimali", "utawala-fedha", "huduma-ushauri", None)
FIRST, LAST = date(2012, 1, 1), date(2017, 12, 31)
EDGES = sorted(
    date(y, m, dd)
    for y in range(2012, 2018)
    for m, dd in ((6, 30), (7, 1), (9, 30), (10, 1), (12, 31), (1, 1), (3, 31), (4, 1))
)
days = st.one_of(st.sampled_from(EDGES), st.dates(FIRST, LAST))
maybe_days = st.one_of(st.none(), days)
clock = st.one_of(
    st.sampled_from([time(0, 0, 0), time(23, 59, 59), time(12, 0, 0)]),
    st.times().map(lambda t: t.replace(microsecond=0)),
)
stamps = st.builds(lambda d, t: datetime.combine(d, t, tzinfo=UTC), days, clock)
# Likert means of one to four answers, kept to three decimals as a response stores them.
SCORES = sorted({Decimal(s / n).quantize(Decimal("0.001")) for n in range(1, 5) for s in range(n, 5 * n + 1)})
durations = st.builds(
    lambda dd, s: timedelta(days=dd, seconds=s), st.integers(0, 120), st.sampled_from([0, 1, 43200, 86399])
)


@dataclass
class Inst:
    category: str
    region: str | None
    established: date | None
    dissolved: date | None


@dataclass
class Service:
    inst: int
    launched: date
    retired: date | None


@dataclass
class Resource:
    kind: str
    offered_from: date
    offered_to: date | None


@dataclass
class Subscription:
    inst: int
    resource: int
    started: date
    ended: date | None


@dataclass
class Return:
    inst: int
    as_of: date
    ict: int
    qualified: int


@dataclass
class Initiative:
    inst: int
    status: str
    start: date | None
    end: date | None
    review: str
    reviewed: date | None


@dataclass
class Assessment:
    inst: int
    on: date
    score: Decimal
    pass_mark: Decimal


@dataclass
class Usage:
    service: int
    start: date
    users: int


@dataclass
class Day:
    service: int
    day: date
    monitored: int
    up: int


@dataclass
class Engagement:
    inst: int
    kind: str
    requested: date
    completed: date | None
    satisfaction: int | None
    unit: str | None


@dataclass
class Budget:
    fiscal_year: str
    category: str
    amount: Decimal
    unit: str | None


@dataclass
class Receipt:
    on: date
    source: str
    amount: Decimal


@dataclass
class Post:
    unit: str
    position: str
    as_of: date
    approved: int
    filled: int


@dataclass
class Complaint:
    received: datetime
    about: str
    inst: int | None
    category: str
    subject: str
    resolved: datetime | None


@dataclass
class Request:
    inst: int
    submitted: datetime
    answered: datetime | None


@dataclass
class Response:
    kind: str
    inst: int | None
    score: Decimal
    submitted: datetime


@dataclass
class Data:
    insts: list[Inst]
    services: list[Service] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    returns: list[Return] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    usage: list[Usage] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)
    engagements: list[Engagement] = field(default_factory=list)
    budget: list[Budget] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)


def _after(start: date, end: date | None) -> date | None:
    """An end date not before its start (a drawn one that falls before is moved after it)."""
    if end is None or end >= start:
        return end
    return start + (start - end)


def _unique(items: list[Any], key: Callable[[Any], Any]) -> list[Any]:
    seen: dict[Any, Any] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())


def _plus_days(start: date, n: int) -> date:
    return start + timedelta(days=n)


def later(start: datetime) -> st.SearchStrategy[datetime]:
    """A moment from a few seconds to 120 days after ``start``."""
    return durations.map(lambda gap: start + gap)


@st.composite
def datasets(draw: st.DrawFn) -> Data:
    n = draw(st.integers(2, 7))
    insts = []
    for _ in range(n):
        established, dissolved = draw(maybe_days), draw(maybe_days)
        if established and dissolved and dissolved <= established:
            dissolved = established + timedelta(days=1 + (established - dissolved).days)
        insts.append(Inst(draw(st.sampled_from(CATEGORIES)), draw(st.sampled_from(REGIONS)), established, dissolved))
    inst = st.integers(0, n - 1)
    data = Data(insts)
    for _ in range(draw(st.integers(0, 10))):
        launched = draw(days)
        data.services.append(Service(draw(inst), launched, _after(launched, draw(maybe_days))))
    for _ in range(draw(st.integers(0, 4))):
        offered = draw(days)
        kind = draw(st.sampled_from(["network", "interoperability", "mail"]))
        data.resources.append(Resource(kind, offered, _after(offered, draw(maybe_days))))
    if data.resources:
        subs = []
        for _ in range(draw(st.integers(0, 12))):
            started = draw(days)
            res = draw(st.integers(0, len(data.resources) - 1))
            subs.append(Subscription(draw(inst), res, started, _after(started, draw(maybe_days))))
        data.subscriptions = _unique(subs, lambda s: (s.inst, s.resource, s.started))
    returns = []
    for _ in range(draw(st.integers(0, 12))):
        ict = draw(st.integers(0, 30))
        returns.append(Return(draw(inst), draw(days), ict, draw(st.integers(0, ict))))
    data.returns = _unique(returns, lambda r: (r.inst, r.as_of))
    for _ in range(draw(st.integers(0, 10))):
        start = draw(maybe_days)
        data.initiatives.append(
            Initiative(
                draw(inst),
                draw(st.sampled_from(["planned", "in_progress", "completed", "cancelled"])),
                start,
                _after(start, draw(maybe_days)) if start else draw(maybe_days),
                draw(st.sampled_from(["approved", "approved", "rejected", "pending", "not_submitted"])),
                draw(maybe_days),
            )
        )
    assessments = []
    for _ in range(draw(st.integers(0, 10))):
        assessments.append(
            Assessment(
                draw(inst),
                draw(days),
                Decimal(draw(st.integers(4000, 10000))) / 100,
                Decimal(draw(st.sampled_from([60, 70, 70, 80]))),
            )
        )
    data.assessments = _unique(assessments, lambda a: (a.inst, a.on))
    if data.services:
        usage = []
        for _ in range(draw(st.integers(0, 14))):
            service = draw(st.integers(0, len(data.services) - 1))
            usage.append(Usage(service, draw(days), draw(st.integers(0, 500))))
        data.usage = _unique(usage, lambda u: (u.service, u.start))
        monitored = []
        for _ in range(draw(st.integers(0, 14))):
            seconds = draw(st.sampled_from([0, 3600, 86400]))
            up = draw(st.integers(0, seconds))
            monitored.append(Day(draw(st.integers(0, len(data.services) - 1)), draw(days), seconds, up))
        data.days = _unique(monitored, lambda m: (m.service, m.day))
    for _ in range(draw(st.integers(0, 12))):
        requested = draw(days)
        completed = draw(st.one_of(st.none(), st.integers(0, 90).map(partial(_plus_days, requested))))
        data.engagements.append(
            Engagement(
                draw(inst),
                draw(st.sampled_from(["advisory", "technical_support", "training"])),
                requested,
                completed,
                draw(st.one_of(st.none(), st.integers(1, 5))),
                draw(st.sampled_from(UNITS)),
            )
        )
    for _ in range(draw(st.integers(0, 8))):
        data.budget.append(
            Budget(
                draw(st.sampled_from(["2012/13", "2013/14", "2014/15", "2015/16", "2016/17"])),
                draw(st.sampled_from(["shared_resources", "personnel", "operations"])),
                Decimal(draw(st.integers(0, 10**8))) / 100,
                draw(st.sampled_from(UNITS)),
            )
        )
    for _ in range(draw(st.integers(0, 10))):
        data.receipts.append(
            Receipt(
                draw(days),
                draw(st.sampled_from(["advisory_services", "egov_services", "subvention"])),
                Decimal(draw(st.integers(0, 10**8))) / 100,
            )
        )
    posts = []
    for _ in range(draw(st.integers(0, 10))):
        approved = draw(st.integers(0, 12))
        posts.append(
            Post(
                draw(st.sampled_from([u for u in UNITS if u])),
                draw(st.sampled_from(["Officer", "Clerk"])),
                draw(days),
                approved,
                draw(st.integers(0, approved)),
            )
        )
    data.posts = _unique(posts, lambda p: (p.unit, p.position, p.as_of))
    for _ in range(draw(st.integers(0, 15))):
        earlier = data.complaints
        if len(earlier) > 0 and draw(st.booleans()):
            # A follow-up of an earlier complaint: around the 90-day window, or at the same instant.
            base = earlier[draw(st.integers(0, len(earlier) - 1))]
            gap = timedelta(days=draw(st.sampled_from([0, 1, 30, 89, 90, 91, 200])))
            gap += timedelta(seconds=draw(st.sampled_from([0, 0, 1, -1])))
            received = base.received + gap
            category, subject = base.category, base.subject
        else:
            received = draw(stamps)
            category = draw(st.sampled_from(["delay", "quality"]))
            subject = draw(st.sampled_from(["slow reply", "portal down"]))
        about = draw(st.sampled_from(["agency", "agency", "institution"]))
        who = draw(inst) if about == "institution" else draw(st.one_of(st.none(), inst))
        resolved = draw(st.one_of(st.none(), later(received)))
        data.complaints.append(Complaint(received, about, who, category, subject, resolved))
    for _ in range(draw(st.integers(0, 10))):
        submitted = draw(stamps)
        answered = draw(st.one_of(st.none(), later(submitted)))
        data.requests.append(Request(draw(inst), submitted, answered))
    for _ in range(draw(st.integers(0, 16))):
        data.responses.append(
            Response(
                draw(st.sampled_from(["institution_satisfaction", "stakeholder_awareness", "staff_satisfaction"])),
                draw(st.one_of(st.none(), inst)),
                draw(st.sampled_from(SCORES)),
                draw(stamps),
            )
        )
    return data


# --- Writing the drawn data -------------------------------------------------------------------
def build(data: Data) -> None:
    insts = [E.institution(f"p{i}", x.category, x.region, x.established, x.dissolved) for i, x in enumerate(data.insts)]
    services = [E.eservice(insts[s.inst], s.launched, s.retired) for s in data.services]
    resources = [E.shared_resource(r.kind, r.offered_from, r.offered_to) for r in data.resources]
    for s in data.subscriptions:
        E.subscription(insts[s.inst], resources[s.resource], s.started, s.ended)
    for r in data.returns:
        E.workforce(insts[r.inst], r.as_of, r.ict, r.qualified)
    for i in data.initiatives:
        E.initiative(insts[i.inst], i.status, i.start, i.end, i.review, i.reviewed)
    for a in data.assessments:
        E.assessment(insts[a.inst], a.on, a.score, a.pass_mark)
    for u in data.usage:
        E.usage(services[u.service], u.start, u.start + timedelta(days=27), u.users)
    for m in data.days:
        E.monitor_day(services[m.service], m.day, m.monitored, m.up)
    units = {code: E.unit(code) for code in UNITS if code}
    for g in data.engagements:
        E.engagement(
            insts[g.inst],
            g.kind,
            g.requested,
            g.completed,
            g.satisfaction,
            units.get(g.unit or ""),
            status="completed" if g.completed else "in_progress",
        )
    for b in data.budget:
        E.budget_line(b.fiscal_year, b.category, b.amount, units.get(b.unit or ""))
    for receipt in data.receipts:
        E.revenue(receipt.on, receipt.source, receipt.amount)
    for p in data.posts:
        E.post(units[p.unit], p.position, p.as_of, p.approved, p.filled)
    for c in data.complaints:
        E.complaint(
            c.received, c.category, c.subject, c.about, insts[c.inst] if c.inst is not None else None, c.resolved
        )
    for q in data.requests:
        E.information_request(insts[q.inst], q.submitted, q.answered)
    surveys = {kind: E.survey(kind) for kind in {r.kind for r in data.responses}}
    for answer in data.responses:
        E.response(
            surveys[answer.kind],
            answer.submitted,
            answer.score,
            insts[answer.inst] if answer.inst is not None else None,
        )


# --- The reference: KPI-DEFINITIONS.md, naively --------------------------------------------------
Num = Fraction | None
Row = tuple[Num, Num, Num]  # numerator, denominator, value
Key = Callable[[int | None], str]  # institution index → group ("" for the whole Agency)


@dataclass(frozen=True)
class Period:
    code: str
    start: date
    end: date


def within(day: date | None, p: Period) -> bool:
    return day is not None and p.start <= day <= p.end


def stamp_within(ts: datetime | None, p: Period) -> bool:
    return ts is not None and p.start <= ts.astimezone(UTC).date() <= p.end


def active(x: Inst, day: date) -> bool:
    return (x.established is None or x.established <= day) and (x.dissolved is None or x.dissolved > day)


def running(start: date | None, stop: date | None, day: date) -> bool:
    """Started on or before ``day`` and not stopped by it (live, offered, subscribed)."""
    return start is not None and start <= day and (stop is None or stop > day)


def days_between(a: datetime, b: datetime) -> Fraction:
    return Fraction(int((b - a).total_seconds()), 86400)


def median(values: list[Fraction]) -> Fraction:
    return Fraction(statistics.median(sorted(values)))


def frac(x: Decimal | int) -> Fraction:
    return Fraction(x)


def ratio(num: dict[str, Fraction], den: dict[str, Fraction], groups: set[str], scale: int = 100) -> dict[str, Row]:
    out: dict[str, Row] = {}
    for g in groups:
        n, d = num.get(g, Fraction(0)), den.get(g, Fraction(0))
        out[g] = (n, d, scale * n / d if d else None)
    return out


def counted(values: dict[str, Fraction], groups: set[str]) -> dict[str, Row]:
    return {g: (values.get(g, Fraction(0)), None, values.get(g, Fraction(0))) for g in groups}


def medians(values: dict[str, list[Fraction]]) -> dict[str, Row]:
    out: dict[str, Row] = {}
    for g, vs in values.items():
        m = median(vs)
        out[g] = (m, None, m)
    return out


class Reference:
    """Each method: the indicator's rows for one period, grouped by ``key`` (whole Agency: "")."""

    def __init__(self, data: Data) -> None:
        self.data = data

    def inst(self, i: int | None) -> Inst | None:
        return None if i is None else self.data.insts[i]

    def active_groups(self, p: Period, key: Key) -> dict[str, Fraction]:
        out: dict[str, Fraction] = defaultdict(Fraction)
        for i, x in enumerate(self.data.insts):
            if active(x, p.end):
                out[key(i)] += 1
        return out

    def satisfied_institutions(self, scores: dict[int, list[Fraction]], key: Key) -> dict[str, Row]:
        num: dict[str, Fraction] = defaultdict(Fraction)
        den: dict[str, Fraction] = defaultdict(Fraction)
        for i, s in scores.items():
            den[key(i)] += 1
            if sum(s, Fraction(0)) / len(s) >= 4:
                num[key(i)] += 1
        return ratio(num, den, set(den))

    def K01(self, p: Period, key: Key) -> dict[str, Row]:
        scores: dict[int, list[Fraction]] = defaultdict(list)
        for r in self.data.responses:
            if r.kind == "institution_satisfaction" and r.inst is not None and stamp_within(r.submitted, p):
                scores[r.inst].append(frac(r.score))
        return self.satisfied_institutions(scores, key)

    def K02(self, p: Period, key: Key) -> dict[str, Row]:
        latest: dict[int, Return] = {}
        for r in self.data.returns:
            if within(r.as_of, p) and (r.inst not in latest or r.as_of > latest[r.inst].as_of):
                latest[r.inst] = r
        num: dict[str, Fraction] = defaultdict(Fraction)
        den: dict[str, Fraction] = defaultdict(Fraction)
        for i, r in latest.items():
            num[key(i)] += r.qualified
            den[key(i)] += r.ict
        return ratio(num, den, set(den))

    def K03(self, p: Period, key: Key) -> dict[str, Row]:
        implementing = {
            x.inst
            for x in self.data.initiatives
            if x.status in ("in_progress", "completed")
            and x.start is not None
            and x.start <= p.end
            and (x.end is None or x.end >= p.start)
            and active(self.data.insts[x.inst], p.end)
        }
        num: dict[str, Fraction] = defaultdict(Fraction)
        for i in implementing:
            num[key(i)] += 1
        den = self.active_groups(p, key)
        return ratio(num, den, set(num) | set(den))

    def K04(self, p: Period, key: Key) -> dict[str, Row]:
        num: dict[str, Fraction] = defaultdict(Fraction)
        for s in self.data.services:
            if running(s.launched, s.retired, p.end):
                num[key(s.inst)] += 1
        return counted(num, set(num))

    def K05(self, p: Period, key: Key) -> dict[str, Row]:
        offering = {
            s.inst
            for s in self.data.services
            if running(s.launched, s.retired, p.end) and active(self.data.insts[s.inst], p.end)
        }
        num: dict[str, Fraction] = defaultdict(Fraction)
        for i in offering:
            num[key(i)] += 1
        den = self.active_groups(p, key)
        return ratio(num, den, set(num) | set(den))

    def K06(self, p: Period, key: Key) -> dict[str, Row]:
        base = baseline_of(p)
        num: dict[str, Fraction] = defaultdict(Fraction)
        den: dict[str, Fraction] = defaultdict(Fraction)
        for u in self.data.usage:
            owner = self.data.services[u.service].inst
            if within(u.start, p):
                num[key(owner)] += u.users
            if within(u.start, base):
                den[key(owner)] += u.users
        return ratio(num, den, set(num) | set(den))

    def K07(self, p: Period, key: Key) -> dict[str, Row]:
        year = P.fiscal_year_of(p.end).code
        num = sum(
            (frac(b.amount) for b in self.data.budget if b.fiscal_year == year and b.category == "shared_resources"),
            Fraction(0),
        )
        den = sum((frac(b.amount) for b in self.data.budget if b.fiscal_year == year), Fraction(0))
        return ratio({"": num}, {"": den}, {""})

    def K08(self, p: Period, key: Key) -> dict[str, Row]:
        offered = [r for r in self.data.resources if running(r.offered_from, r.offered_to, p.end)]
        num: dict[str, Fraction] = defaultdict(Fraction)
        for s in self.data.subscriptions:
            resource = self.data.resources[s.resource]
            if (
                running(s.started, s.ended, p.end)
                and active(self.data.insts[s.inst], p.end)
                and running(resource.offered_from, resource.offered_to, p.end)
            ):
                num[key(s.inst)] += 1
        institutions = self.active_groups(p, key)
        den = {g: n * len(offered) for g, n in institutions.items()}
        return ratio(num, den, set(num) | set(institutions))

    def K09(self, p: Period, key: Key) -> dict[str, Row]:
        days: dict[str, list[Fraction]] = defaultdict(list)
        for q in self.data.requests:
            if q.answered is not None and stamp_within(q.answered, p):
                days[key(q.inst)].append(days_between(q.submitted, q.answered))
        num = {g: sum(v, Fraction(0)) for g, v in days.items()}
        den = {g: Fraction(len(v)) for g, v in days.items()}
        return ratio(num, den, set(days), scale=1)

    def K09_median(self, p: Period, key: Key) -> dict[str, Fraction]:
        days: dict[str, list[Fraction]] = defaultdict(list)
        for q in self.data.requests:
            if q.answered is not None and stamp_within(q.answered, p):
                days[key(q.inst)].append(days_between(q.submitted, q.answered))
        return {g: median(v) for g, v in days.items()}

    def K10(self, p: Period, key: Key) -> dict[str, Row]:
        scores: dict[str, list[Fraction]] = defaultdict(list)
        for r in self.data.responses:
            if r.kind == "stakeholder_awareness" and stamp_within(r.submitted, p):
                scores[key(r.inst)].append(frac(r.score))
        out: dict[str, Row] = {}
        for g, s in scores.items():
            mean = sum(s, Fraction(0)) / len(s)
            out[g] = (sum(s, Fraction(0)), Fraction(len(s)), (mean - 1) / 4 * 100)
        return out

    def K11(self, p: Period, key: Key) -> dict[str, Row]:
        latest: dict[int, Assessment] = {}
        for a in self.data.assessments:
            if within(a.on, p) and (a.inst not in latest or a.on > latest[a.inst].on):
                latest[a.inst] = a
        num: dict[str, Fraction] = defaultdict(Fraction)
        den: dict[str, Fraction] = defaultdict(Fraction)
        for i, a in latest.items():
            den[key(i)] += 1
            if a.score >= a.pass_mark:
                num[key(i)] += 1
        return ratio(num, den, set(den))

    def K12(self, p: Period, key: Key) -> dict[str, Row]:
        parts = [self.K03(p, key), self.K05(p, key), self.K08(p, key), self.K11(p, key)]
        out: dict[str, Row] = {}
        for g in set().union(*parts):
            # The composite reads the parts' stored values (six decimals).
            values = [stored6(v) for v in (part[g][2] for part in parts if g in part) if v is not None]
            if values:
                out[g] = (sum(values, Fraction(0)), Fraction(len(values)), sum(values, Fraction(0)) / len(values))
        return out

    def K13(self, p: Period, key: Key) -> dict[str, Row]:
        served = {
            g.inst
            for g in self.data.engagements
            if g.kind in ("advisory", "technical_support")
            and within(g.completed, p)
            and active(self.data.insts[g.inst], p.end)
        }
        num: dict[str, Fraction] = defaultdict(Fraction)
        for i in served:
            num[key(i)] += 1
        den = self.active_groups(p, key)
        return ratio(num, den, set(num) | set(den))

    def K14(self, p: Period, key: Key) -> dict[str, Row]:
        ratings: dict[int, list[Fraction]] = defaultdict(list)
        for g in self.data.engagements:
            if g.satisfaction is not None and within(g.completed, p):
                ratings[g.inst].append(Fraction(g.satisfaction))
        return self.satisfied_institutions(ratings, key)

    def K15(self, p: Period, key: Key) -> dict[str, Row]:
        received = [r for r in self.data.receipts if within(r.on, p)]
        num = sum((frac(r.amount) for r in received if r.source == "advisory_services"), Fraction(0))
        den = sum((frac(r.amount) for r in received), Fraction(0))
        return ratio({"": num}, {"": den}, {""})

    def K16(self, p: Period, key: Key) -> dict[str, Row]:
        latest: dict[tuple[str, str], Post] = {}
        for x in self.data.posts:
            slot = (x.unit, x.position)
            if x.as_of <= p.end and (slot not in latest or x.as_of > latest[slot].as_of):
                latest[slot] = x
        filled = sum((Fraction(x.filled) for x in latest.values()), Fraction(0))
        approved = sum((Fraction(x.approved) for x in latest.values()), Fraction(0))
        return ratio({"": filled}, {"": approved}, {""})

    def K17(self, p: Period, key: Key) -> dict[str, Row]:
        num: dict[str, Fraction] = defaultdict(Fraction)
        den: dict[str, Fraction] = defaultdict(Fraction)
        for r in self.data.responses:
            if r.kind == "staff_satisfaction" and stamp_within(r.submitted, p):
                den[key(r.inst)] += 1
                if r.score >= 4:
                    num[key(r.inst)] += 1
        return ratio(num, den, set(den))

    def K18(self, p: Period, key: Key) -> dict[str, Row]:
        about_agency = [c for c in self.data.complaints if c.about == "agency"]
        num: dict[str, Fraction] = defaultdict(Fraction)
        den: dict[str, Fraction] = defaultdict(Fraction)
        for c in about_agency:
            if not stamp_within(c.received, p):
                continue
            den[key(c.inst)] += 1
            recurs = any(
                other is not c
                and other.category == c.category
                and other.subject == c.subject
                and other.received < c.received
                and c.received - other.received <= timedelta(days=90)
                for other in about_agency
            )
            if recurs:
                num[key(c.inst)] += 1
        return ratio(num, den, set(den))

    def R01(self, p: Period, key: Key) -> dict[str, Row]:
        up: dict[str, Fraction] = defaultdict(Fraction)
        monitored: dict[str, Fraction] = defaultdict(Fraction)
        for m in self.data.days:
            service = self.data.services[m.service]
            if within(m.day, p) and running(service.launched, service.retired, m.day):
                up[key(service.inst)] += m.up
                monitored[key(service.inst)] += m.monitored
        return ratio(up, monitored, set(monitored))

    def R02(self, p: Period, key: Key) -> dict[str, Row]:
        days: dict[str, list[Fraction]] = defaultdict(list)
        for c in self.data.complaints:
            if c.resolved is not None and stamp_within(c.resolved, p):
                days[key(c.inst)].append(days_between(c.received, c.resolved))
        return medians(days)

    def R04(self, p: Period, key: Key) -> dict[str, Row]:
        num: dict[str, Fraction] = defaultdict(Fraction)
        den: dict[str, Fraction] = defaultdict(Fraction)
        for x in self.data.initiatives:
            if within(x.start, p):
                den[key(x.inst)] += 1
                if x.review == "approved" and x.reviewed is not None and x.start and x.reviewed <= x.start:
                    num[key(x.inst)] += 1
        return ratio(num, den, set(den))

    def R08(self, p: Period, key: Key) -> dict[str, Row]:
        num: dict[str, Fraction] = defaultdict(Fraction)
        for s in self.data.subscriptions:
            if self.data.resources[s.resource].kind == "interoperability" and running(s.started, s.ended, p.end):
                num[key(s.inst)] += 1
        return counted(num, set(num))

    def R12(self, p: Period, key: Key) -> dict[str, Row]:
        days: dict[str, list[Fraction]] = defaultdict(list)
        for g in self.data.engagements:
            if g.kind == "technical_support" and g.completed is not None and within(g.completed, p):
                days[key(g.inst)].append(Fraction((g.completed - g.requested).days))
        return medians(days)

    def R14(self, p: Period, key: Key) -> dict[str, Row]:
        total = sum(
            (frac(r.amount) for r in self.data.receipts if within(r.on, p) and r.source == "egov_services"), Fraction(0)
        )
        return {"": (total, None, total)}


# Indicators whose records have no institution: not disaggregated by category.
NO_CATEGORY = {"K07", "K15", "K16", "R14"}
# What an indicator shows for the whole Agency when nothing at all is behind it.
EMPTY_TOTAL: dict[str, Row] = {
    "K04": (Fraction(0), None, Fraction(0)),
    "R08": (Fraction(0), None, Fraction(0)),
    "R14": (Fraction(0), None, Fraction(0)),
    "R02": (None, None, None),
    "R12": (None, None, None),
    "K12": (None, Fraction(0), None),
}
REFERENCE = [
    "K01",
    "K02",
    "K03",
    "K04",
    "K05",
    "K06",
    "K07",
    "K08",
    "K09",
    "K10",
    "K11",
    "K12",
    "K13",
    "K14",
    "K15",
    "K16",
    "K17",
    "K18",
    "R01",
    "R02",
    "R04",
    "R08",
    "R12",
    "R14",
]


def stored6(x: Fraction) -> Fraction:
    """A value as the engine stores it: six decimal places."""
    exact = Decimal(x.numerator) / Decimal(x.denominator)
    return Fraction(exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def baseline_of(p: Period) -> Period:
    """The same place in 2012/13: the year itself, the same quarter, the same calendar month."""
    if p.code.endswith(("-Q1", "-Q2", "-Q3", "-Q4")):
        q = P.quarter(2012, int(p.code[-1]))
    elif "/" in p.code:
        q = P.fiscal_year(2012)
    else:
        q = P.month(2012 + (p.start.month < 7), p.start.month)
    return Period(q.code, q.start, q.end)


PERIODS = [
    *(f"{y}/{(y + 1) % 100:02d}" for y in range(2012, 2017)),
    "2012/13-Q1",
    "2013/14-Q2",
    "2014/15-Q3",
    "2016/17-Q4",
    "2013-07",
    "2017-06",
]


def reference_rows(ref: Reference, code: str, p: Period) -> dict[tuple[str, str], Row]:
    method: Callable[[Period, Key], dict[str, Row]] = getattr(ref, code)
    out: dict[tuple[str, str], Row] = {}
    whole = method(p, lambda _i: "")
    empty = EMPTY_TOTAL.get(code, (Fraction(0), Fraction(0), None))
    out[("", "")] = whole.get("", empty)
    if code not in NO_CATEGORY:

        def category(i: int | None) -> str:
            x = ref.inst(i)
            return x.category if x else ""

        for group, row in method(p, category).items():
            out[("category", group)] = row
    return out


def same(a: Decimal | None, b: Fraction | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(Fraction(a) - b) <= Fraction(1, 10**6)


def show(x: Any) -> str:
    return "None" if x is None else f"{float(x):.6f}"


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=datasets())
def test_engine_agrees_with_the_naive_reference(db: Any, data: Data) -> None:
    plan = E.plan()
    codes = sorted(
        Indicator.objects.filter(plan=plan, definitions__isnull=False).distinct().values_list("code", flat=True)
    )
    # Every default definition has its reference, and no reference is left without a definition.
    assert codes == sorted(REFERENCE)
    with transaction.atomic():
        E.clear_records()
        build(data)
        engine.refresh(plan, period_codes=PERIODS)
        found = {
            (code, period, dimension, group): (num, den, value, extras)
            for code, period, dimension, group, num, den, value, extras in Value.objects.filter(
                indicator__plan=plan, period__in=PERIODS, dimension__in=["", "category"]
            ).values_list(
                "indicator__code", "period", "dimension", "group", "numerator", "denominator", "value", "extras"
            )
        }
        transaction.set_rollback(True)

    ref = Reference(data)
    problems = []
    for code in codes:
        for period_code in PERIODS:
            q = P.parse(period_code)
            p = Period(q.code, q.start, q.end)
            expected = reference_rows(ref, code, p)
            engine_rows = {(dim, g): v for (c, pc, dim, g), v in found.items() if c == code and pc == period_code}
            for where in sorted(set(expected) | set(engine_rows)):
                if where not in engine_rows or where not in expected:
                    problems.append(
                        f"{code} {period_code} {where}: engine {engine_rows.get(where)} "
                        f"≠ reference {expected.get(where)}"
                    )
                    continue
                num, den, value, _extras = engine_rows[where]
                want = expected[where]
                if not (same(num, want[0]) and same(den, want[1]) and same(value, want[2])):
                    problems.append(
                        f"{code} {period_code} {where}: engine ({show(num)}, {show(den)}, {show(value)}) "
                        f"≠ reference ({show(want[0])}, {show(want[1])}, {show(want[2])})"
                    )
            if code == "K09":
                key = ("", "")
                want_median = ref.K09_median(p, lambda _i: "").get("")
                got = engine_rows[key][3].get("median") if key in engine_rows else None
                if not same(None if got is None else Decimal(got), want_median):
                    problems.append(f"K09 {period_code} median: engine {got} ≠ reference {show(want_median)}")
    assert not problems, f"{len(problems)} disagreement(s):\n" + "\n".join(problems[:30])

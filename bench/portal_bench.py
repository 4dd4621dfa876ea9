"""The public portal: page weight of a first visit, and catalogue search latency at national scale.

    python bench/portal_bench.py weight                 # catalogue, an e-service page, the complaint form
    python bench/portal_bench.py search [--scale 1.0] [--queries 300] [--seed 1]

Sets up Django itself on a throwaway database: a SQLite file in a temporary folder or, with
DATABASE_URL set, a new PostgreSQL database created beside the one it names and dropped at the end.

``weight`` loads the plan and the demo records (about 400 institutions, a few hundred e-services)
and fetches each page as a first visit does: the HTML and the one stylesheet (the site has no
scripts, fonts or images). It prints the bytes as served and gzip-compressed (what a proxy that
compresses sends over a slow network), against the 100 KB budget.

``search`` writes the synthetic institutions and e-services of ``manage.py generate`` (scale 1.0:
1,000 institutions, 50,000 e-services), builds the search index, then runs queries drawn from the
e-services' own names: exact, misspelled (one or two letters changed, dropped, doubled or swapped),
two words, English, and with a filter, each through the page's selector (the whole ranked search,
counted and paged) and through the full HTML page. Prints p50, p95 and the slowest per kind.
Figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BUDGET = 100 * 1024


def database_name() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        version = connection.cursor().connection.info.server_version
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    return f"SQLite {sqlite3.sqlite_version}"


def weight() -> None:
    from django.core.management import call_command
    from django.test import Client

    from tathmini.registry.models import EService

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("bootstrap", stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"{database_name()}; demo data loaded in {time.perf_counter() - started:.0f}s")
    css = (ROOT / "tathmini" / "static" / "css" / "site.css").read_bytes()
    es = EService.objects.filter(how_to_sw__gt="").order_by("code").first()
    assert es is not None
    pages = {
        "catalogue (first page, no query)": "/huduma/",
        'catalogue, search "leseni"': "/huduma/?q=leseni",
        f"e-service page ({es.code})": f"/huduma/e/{es.code}/",
        "complaint form": "/huduma/malalamiko/",
        "information request form": "/huduma/maombi/",
    }
    client = Client()
    print(f"{'page':<44} {'HTML':>9} {'+ CSS':>9} {'gzip':>9}  within 100 KB")
    for label, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content
        total = len(html) + len(css)
        zipped = len(gzip.compress(html)) + len(gzip.compress(css))
        print(f"{label:<44} {len(html):>9,} {total:>9,} {zipped:>9,}  {'yes' if total <= BUDGET else 'NO'}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["change", "drop", "double", "swap"])
    if kind == "change":
        return word[:i] + rng.choice("aeiourlsnkm") + word[i + 1 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def search(scale: float, n_queries: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from tathmini.core import generate as gen
    from tathmini.portal import clock, selectors, text
    from tathmini.portal import search as index
    from tathmini.portal.models import Posting, Word
    from tathmini.registry.models import EService, Region

    call_command("migrate", verbosity=0)
    generator = gen.Generator(scale, seed)
    for key, (model, _fields) in gen.TABLES.items():
        generator.base[key] = generator._next_id(model)
    gen.demo.load_regions()
    generator.region_ids = list(Region.objects.order_by("name").values_list("pk", flat=True))
    started = time.perf_counter()
    with generator.writer.session():
        for key in ("institutions", "eservices"):
            model, fields = gen.TABLES[key]
            generator._write_all(model, fields, getattr(generator, f"rows_{key}")())
    generator._reset_sequences()
    services = EService.objects.count()
    # Each synthetic service lives for the months of its usage returns, within the plan's years:
    # search as on the quarter end when most of them were live.
    live, day = max((EService.objects.live_on(d).count(), d) for d in gen.QUARTER_ENDS)
    clock.now = lambda: datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
    print(f"{database_name()}; Python {platform.python_version()}; {os.cpu_count()} CPUs")
    print(f"wrote {services:,} e-services ({live:,} live on {clock.today()}) in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    index.rebuild()
    print(
        f"index built in {time.perf_counter() - started:.1f}s: {Word.objects.count():,} words, "
        f"{Posting.objects.count():,} postings"
    )

    rng = random.Random(seed)
    names = list(EService.objects.values_list("name_sw", "name_en", "life_event")[:: max(1, services // 2000)])
    kinds: dict[str, Callable[[], tuple[str, dict[str, str]]]] = {}

    def long_words(name: str) -> list[str]:
        return [w for w in text.words(name) if len(w) >= 5 and w not in text.STOPWORDS] or text.words(name)

    def pick() -> tuple[str, str, str]:
        return names[rng.randrange(len(names))]

    kinds["one word"] = lambda: (rng.choice(long_words(pick()[0])), {})
    kinds["one word, misspelled"] = lambda: (
        typo(rng.choice([w for w in long_words(pick()[0]) if len(w) >= 5] or ["leseni"]), rng),
        {},
    )
    kinds["two words"] = lambda: (" ".join(long_words(pick()[0])[:2]), {})
    kinds["two words, one misspelled"] = lambda: (
        " ".join([typo(w, rng) if i == 0 and len(w) >= 5 else w for i, w in enumerate(long_words(pick()[0])[:2])]),
        {},
    )
    kinds["English"] = lambda: (" ".join(long_words(pick()[1])[:2]), {})

    def with_filter() -> tuple[str, dict[str, str]]:
        sw, _en, event = pick()
        return rng.choice(long_words(sw)), {"life_event": event}

    kinds["word + category filter"] = with_filter

    client = Client()
    translation.activate("sw")
    for _ in range(20):  # warm caches, compiled templates and connections
        selectors.catalogue(kinds["one word"]()[0], {})
        client.get("/huduma/", {"q": kinds["two words"]()[0]})
    print(
        f"{'query kind':<28} {'n':>4} {'selector p50':>13} {'p95':>8} {'max':>8}   "
        f"{'page p50':>9} {'p95':>8} {'hits p50':>9}"
    )
    everything: list[float] = []
    pages_all: list[float] = []
    per_kind = max(1, n_queries // len(kinds))
    for label, make in kinds.items():
        times, page_times, hits = [], [], []
        for _ in range(per_kind):
            query, filters = make()
            t0 = time.perf_counter()
            result = selectors.catalogue(query, filters)
            times.append((time.perf_counter() - t0) * 1000)
            hits.append(result.total)
            t0 = time.perf_counter()
            response = client.get("/huduma/", {"q": query, **filters})
            page_times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        everything += times
        pages_all += page_times
        print(
            f"{label:<28} {per_kind:>4} {statistics.median(times):>11.1f}ms {percentile(times, 95):>6.1f}ms "
            f"{max(times):>6.1f}ms   {statistics.median(page_times):>7.1f}ms {percentile(page_times, 95):>6.1f}ms "
            f"{int(statistics.median(hits)):>9,}"
        )
    print(
        f"{'all':<28} {len(everything):>4} {statistics.median(everything):>11.1f}ms "
        f"{percentile(everything, 95):>6.1f}ms {max(everything):>6.1f}ms   "
        f"{statistics.median(pages_all):>7.1f}ms {percentile(pages_all, 95):>6.1f}ms"
    )
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["weight", "search"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tathmini.settings")
    os.environ["DEBUG"] = "0"  # no query log growing through the run
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    tmp = tempfile.TemporaryDirectory(prefix="tathmini-bench-")
    os.environ["TATHMINI_DATA_DIR"] = tmp.name
    server_url = os.environ.get("DATABASE_URL", "")
    bench_db = f"tathmini_bench_{os.getpid()}"
    if server_url:
        import psycopg

        parsed = urlparse(server_url)
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{bench_db}"')
        os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{bench_db}"))
    try:
        import django

        django.setup()
        weight() if args.part == "weight" else search(args.scale, args.queries, args.seed)
    finally:
        if server_url:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
        tmp.cleanup()


if __name__ == "__main__":
    main()

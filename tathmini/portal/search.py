"""The catalogue's search: an inverted index of folded words, with trigrams for misspellings.

Every e-service's texts are folded (``text.fold``) and split into words; each word is posted with
the weight of the field it came from (the name counts most). A query word matches a word of the
vocabulary exactly, as a prefix, or within one or two edits; candidates for the last are the words
sharing enough trigrams, found by one GROUP BY, then checked by edit distance. Scoring runs in
SQL (a GROUP BY over the postings), so 50,000 e-services are searched in milliseconds on SQLite
and PostgreSQL alike (docs/benchmarks.md, "Public portal").

The index follows the audit trail: every write of an e-service or institution through the records
write path leaves an AuditEvent, and ``refresh`` re-indexes the e-services behind the events after
its watermark. Rows loaded in bulk without the trail (the synthetic data set) are caught by the
highest id of the e-services, and deleted rows take their postings with them (the foreign key
cascades); ``manage.py portal_index`` rebuilds the whole index.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone

from tathmini.core.models import AuditEvent
from tathmini.portal import text
from tathmini.portal.models import IndexState, Posting, Word, WordGram
from tathmini.registry.models import EService, Institution

# Where a word was found, and what that is worth.
# Codes are not indexed: people do not search by them, and a unique code per service would fill the
# vocabulary with words that match nothing else.
WEIGHTS = (
    (("name_sw", "name_en"), 10),
    (("description_sw", "description_en", "how_to_sw", "how_to_en"), 2),
)
INSTITUTION_WEIGHT = 4
# How well a query word matched: exactly, as the start of a word, or with one or two mistakes.
EXACT, PREFIX, ONE_EDIT, TWO_EDITS = 10, 7, 6, 4
CHUNK = 2000


# --- Building -----------------------------------------------------------------------------------
def postings_of(eservice: EService) -> dict[str, int]:
    out: dict[str, int] = {}
    parts: list[tuple[str, int]] = [(getattr(eservice, f), w) for fields, w in WEIGHTS for f in fields]
    institution = eservice.institution
    parts += [(institution.name_sw, INSTITUTION_WEIGHT), (institution.name_en, INSTITUTION_WEIGHT)]
    for source, weight in parts:
        for word in text.words(source):
            out[word] = max(out.get(word, 0), weight)
    return out


def _word_ids(vocabulary: set[str]) -> dict[str, int]:
    known: dict[str, int] = {}
    todo = sorted(vocabulary)
    for i in range(0, len(todo), 900):
        known.update(Word.objects.filter(text__in=todo[i : i + 900]).values_list("text", "pk"))
    missing = [w for w in todo if w not in known]
    if missing:
        Word.objects.bulk_create([Word(text=w, length=len(w)) for w in missing], ignore_conflicts=True)
        for i in range(0, len(missing), 900):
            fresh = dict(Word.objects.filter(text__in=missing[i : i + 900]).values_list("text", "pk"))
            known.update(fresh)
            WordGram.objects.bulk_create(
                [WordGram(gram=g, word_id=pk) for w, pk in fresh.items() for g in text.grams(w)],
                ignore_conflicts=True,
                batch_size=CHUNK,
            )
    return known


def index_eservices(pks: Iterable[int]) -> int:
    """(Re)build the postings of these e-services; ones that no longer exist lose theirs."""
    ids = sorted(set(pks))
    done = 0
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        services = list(EService.objects.filter(pk__in=chunk).select_related("institution"))
        per_service = {es.pk: postings_of(es) for es in services}
        word_ids = _word_ids({w for words in per_service.values() for w in words})
        Posting.objects.filter(eservice_id__in=chunk).delete()
        Posting.objects.bulk_create(
            [
                Posting(eservice_id=pk, word_id=word_ids[w], weight=weight)
                for pk, words in per_service.items()
                for w, weight in words.items()
            ],
            batch_size=CHUNK,
        )
        done += len(services)
    return done


def _content_types() -> tuple[int, int]:
    return ContentType.objects.get_for_model(EService).pk, ContentType.objects.get_for_model(Institution).pk


def _index_all() -> int:
    """Index every e-service and record how far that reaches; the state row must exist."""
    watermark = AuditEvent.objects.aggregate(m=Max("pk"))["m"] or 0
    pks = list(EService.objects.values_list("pk", flat=True))
    count = index_eservices(pks)
    IndexState.objects.filter(pk=1).update(
        audit_watermark=watermark, max_eservice_pk=max(pks, default=0), built_at=timezone.now()
    )
    return count


def rebuild() -> int:
    """Index every e-service from scratch."""
    with transaction.atomic():
        Posting.objects.all().delete()
        IndexState.objects.all().delete()
        IndexState.objects.create(pk=1)
        return _index_all()


def _first_build() -> int:
    """Build the index that is not there yet, once. Its state row is created first, as a claim:
    a search that finds no index at the same moment waits on that row (PostgreSQL: its key;
    SQLite: the write lock), then fails to create it and searches the index just built."""
    try:
        with transaction.atomic():
            IndexState.objects.create(pk=1)
            return _index_all()
    except IntegrityError:
        return 0


def refresh() -> int:
    """Bring the index up to date with the writes since it was last refreshed; returns how many
    e-services were re-indexed. Cheap when nothing changed: three indexed look-ups."""
    state = IndexState.objects.filter(pk=1).first()
    if state is None:
        return _first_build()
    es_ct, inst_ct = _content_types()
    events = list(
        AuditEvent.objects.filter(pk__gt=state.audit_watermark, content_type_id__in=(es_ct, inst_ct)).values_list(
            "pk", "content_type_id", "object_id"
        )
    )
    # Rows added without the audit trail (a bulk load) have higher ids; rows deleted take their
    # postings with them (the foreign key cascades).
    top = EService.objects.aggregate(m=Max("pk"))["m"] or 0
    if not events and top <= state.max_eservice_pk:
        return 0
    with transaction.atomic():
        watermark = max([state.audit_watermark, *(pk for pk, _ct, _obj in events)])
        # Claim the work: a second process that read the same state finds it changed and leaves it.
        claimed = IndexState.objects.filter(
            pk=1, audit_watermark=state.audit_watermark, max_eservice_pk=state.max_eservice_pk
        ).update(audit_watermark=watermark, max_eservice_pk=max(top, state.max_eservice_pk), built_at=timezone.now())
        if not claimed:
            return 0
        touched = {int(obj) for _pk, ct, obj in events if ct == es_ct and obj.isdigit()}
        institutions = {int(obj) for _pk, ct, obj in events if ct == inst_ct and obj.isdigit()}
        if institutions:
            touched |= set(EService.objects.filter(institution_id__in=institutions).values_list("pk", flat=True))
        touched |= set(EService.objects.filter(pk__gt=state.max_eservice_pk).values_list("pk", flat=True))
        return index_eservices(touched)


# --- Querying -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    word_id: int
    word: str
    query_index: int
    quality: int


def candidates(query_word: str) -> list[tuple[int, str]]:
    """Words of the vocabulary that may match: itself and the words it begins; when the word itself
    is not in the vocabulary (a misspelling), also the words sharing enough trigrams to be within
    the allowed edits (checked afterwards)."""
    condition = Q(text=query_word)
    if len(query_word) >= 3:
        condition |= Q(text__startswith=query_word)
    found = list(Word.objects.filter(condition).values_list("pk", "text")[:100])
    edits = text.allowed_edits(query_word)
    if not edits or any(word == query_word for _, word in found):
        return found
    grams = text.grams(query_word)
    # An edit changes at most three of a word's trigrams.
    needed = max(1, len(grams) - 3 * edits)
    near = (
        WordGram.objects.filter(
            gram__in=grams,
            word__length__gte=len(query_word) - edits,
            word__length__lte=len(query_word) + edits,
        )
        .values("word_id", "word__text")
        .annotate(n=Count("pk"))
        .filter(n__gte=needed)
        .values_list("word_id", "word__text")
    )
    return found + list(near[:200])


def matches(query_words: list[str]) -> list[Match]:
    best: dict[int, Match] = {}
    for i, qw in enumerate(query_words):
        edits = text.allowed_edits(qw)
        for pk, word in candidates(qw):
            if word == qw:
                quality = EXACT
            elif word.startswith(qw):
                quality = PREFIX
            else:
                d = text.distance(qw, word, edits)
                if d > edits:
                    continue
                quality = ONE_EDIT if d == 1 else TWO_EDITS
            if pk not in best or best[pk].quality < quality:
                best[pk] = Match(pk, word, i, quality)
    return list(best.values())


def ranked(found: list[Match], services: Q) -> list[int]:
    """The ids of the e-services matching, best first: those matching more of the query's words
    first, then by the sum of field weight × match quality, then the older record. One GROUP BY
    gives each e-service's best score per query word; the ordering is done here, so the count and
    the page come from the same single pass."""
    by_word: dict[int, list[Match]] = {}
    for m in found:
        by_word.setdefault(m.query_index, []).append(m)
    columns = {
        f"w{i}": Max(
            Case(
                *(When(word_id=m.word_id, then=F("weight") * m.quality) for m in group),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        for i, group in by_word.items()
    }
    rows = (
        Posting.objects.filter(services, word_id__in=[m.word_id for m in found])
        .values("eservice_id")
        .annotate(**columns)
        .values_list("eservice_id", *columns)
    )
    scored = []
    for eservice_id, *per_word in rows:
        covered = sum(1 for v in per_word if v)
        scored.append((-covered, -sum(v or 0 for v in per_word), eservice_id))
    scored.sort()
    return [eservice_id for _, _, eservice_id in scored]


def live_eservices(day: date) -> QuerySet[EService]:
    return EService.objects.live_on(day)


def live_q(day: date, prefix: str = "") -> Q:
    """``EService.objects.live_on`` as a condition, for the postings joined to their e-service."""
    return Q(**{f"{prefix}launched_on__lte": day}) & (
        Q(**{f"{prefix}retired_on__isnull": True}) | Q(**{f"{prefix}retired_on__gt": day})
    )

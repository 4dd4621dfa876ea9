"""Folding text for search: case and accents removed, so "Usájili" finds "usajili", and a small
edit distance for misspellings. Plain Python, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^0-9a-z]+")
MAX_WORD = 60

# Words too common to tell services apart; dropped from a query that has other words.
STOPWORDS = frozenset(
    {"wa", "ya", "la", "za", "na", "kwa", "cha", "vya", "katika", "ni", "au", "kama", "huduma"}
    | {"the", "of", "and", "for", "a", "an", "to", "in", "on", "or", "by", "with", "service", "services"}
)


def fold(text: str) -> str:
    """Lower case, without accents or punctuation: "Leséni ya Biashara!" → "leseni ya biashara"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub(" ", plain).strip()


def words(text: str) -> list[str]:
    return [w[:MAX_WORD] for w in fold(text).split() if len(w) >= 2]


def query_words(text: str, limit: int = 6) -> list[str]:
    """The words a query searches for, in order, without repeats; stopwords only when alone."""
    seen = list(dict.fromkeys(words(text)))
    kept = [w for w in seen if w not in STOPWORDS] or seen
    return kept[:limit]


def grams(word: str) -> list[str]:
    """Trigrams of the word padded with a space each side: one per letter."""
    padded = f" {word} "
    return sorted({padded[i : i + 3] for i in range(len(padded) - 2)})


def allowed_edits(word: str) -> int:
    """How many typing mistakes a word of this length may carry and still match."""
    if len(word) < 4:
        return 0
    return 1 if len(word) <= 7 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent swaps counted as one (optimal string alignment), or limit + 1
    as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]

"""What to talk about: pick a piece of common ground worth raising. Pure, no Django."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# Most personal and forward-looking first: a goal or a family event opens a real
# conversation; a dislike is something to avoid, never a topic.
PREFERENCE = (
    "goal",
    "family",
    "hobby",
    "sport",
    "book",
    "film",
    "food",
    "admired",
    "history",
    "other",
)


@dataclass(frozen=True)
class KnownFact:
    category: str
    value: str
    learned_on: dt.date | None = None


def suggest_topic(
    facts: Iterable[KnownFact], recent_topics: Iterable[str] = ()
) -> KnownFact | None:
    """The fact to ask about next: by category preference, then freshest, skipping what
    was talked about recently (when something else is known)."""
    usable = [f for f in facts if f.category in PREFERENCE and f.value.strip()]
    if not usable:
        return None
    recent = {t.strip().lower() for t in recent_topics}
    fresh = [f for f in usable if f.value.strip().lower() not in recent] or usable

    def rank(fact: KnownFact) -> tuple[int, int]:
        learned = fact.learned_on.toordinal() if fact.learned_on else 0
        return (PREFERENCE.index(fact.category), -learned)

    return min(fresh, key=rank)

"""Choosing questions: weighted mixing, and preferring unseen or missed questions."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence


def allocate(
    total: int, weights: Mapping[str, int], available: Mapping[str, int]
) -> dict[str, int]:
    """Split `total` across buckets by weight (largest remainder), within what each holds."""
    buckets = [b for b, w in weights.items() if w > 0 and available.get(b, 0) > 0]
    if not buckets:
        return {}
    weight_sum = sum(weights[b] for b in buckets)
    exact = {b: total * weights[b] / weight_sum for b in buckets}
    counts = {b: min(int(exact[b]), available[b]) for b in buckets}
    by_remainder = sorted(
        buckets, key=lambda b: (exact[b] - int(exact[b]), weights[b]), reverse=True
    )
    while sum(counts.values()) < total:
        grown = False
        for b in by_remainder:
            if sum(counts.values()) >= total:
                break
            if counts[b] < available[b]:
                counts[b] += 1
                grown = True
        if not grown:
            break
    return {b: n for b, n in counts.items() if n}


def prioritised(
    pool: Sequence[str], seen: set[str], missed: set[str], rng: random.Random
) -> list[str]:
    """Unseen first, then those last answered wrong, then the rest; shuffled within each."""
    tiers: list[list[str]] = [[], [], []]
    for qid in pool:
        rank = 1 if qid in missed else (2 if qid in seen else 0)
        tiers[rank].append(qid)
    out: list[str] = []
    for tier in tiers:
        rng.shuffle(tier)
        out += tier
    return out


def pick(
    pools: Mapping[str, Sequence[str]],
    counts: Mapping[str, int],
    seen: set[str],
    missed: set[str],
    rng: random.Random,
    avoid: frozenset[str] = frozenset(),
) -> list[str]:
    """Pick `counts[b]` questions from each pool, preferring unseen and missed ones.

    When the result would equal `avoid` (the previous set), one question is swapped for
    another of the same bucket where the pool allows it.
    """
    chosen: list[str] = []
    spare: dict[str, list[str]] = {}
    for bucket, n in counts.items():
        ordered = prioritised(pools[bucket], seen, missed, rng)
        chosen += ordered[:n]
        spare[bucket] = ordered[n:]
    if avoid and frozenset(chosen) == avoid:
        for bucket, rest in spare.items():
            if rest:
                members = [i for i, q in enumerate(chosen) if q in pools[bucket]]
                chosen[rng.choice(members)] = rest[0]
                break
    rng.shuffle(chosen)
    return chosen

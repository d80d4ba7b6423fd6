"""Honest readiness: accuracy with an uncertainty band that shrinks as answers add up.

Each domain's accuracy gets a Wilson score interval (95%): with few answers it is wide,
with many it closes in on the accuracy. A domain never answered spans 0-100%. The
readiness band is the blueprint-weighted mean of the domains' lower edges and of their
upper edges (a conservative way to combine them: never narrower than the truth). A member
is called ready only when the band's lower edge clears the pass line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal quantile for a two-sided 95% interval


def wilson(correct: int, answered: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of `correct` out of `answered`, in percent."""
    if answered <= 0:
        return 0.0, 100.0
    p = correct / answered
    z2 = z * z
    centre = (p + z2 / (2 * answered)) / (1 + z2 / answered)
    half = z * math.sqrt(p * (1 - p) / answered + z2 / (4 * answered**2)) / (1 + z2 / answered)
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


@dataclass(frozen=True)
class Band:
    low: float  # percent
    high: float
    pass_line: int

    @property
    def ready(self) -> bool:
        """Whether even the band's lower edge clears the pass line."""
        return self.low >= self.pass_line

    @property
    def width(self) -> float:
        return self.high - self.low


def band(domains: Iterable[tuple[int, int, int]], pass_line: int) -> Band:
    """The readiness band from (weight, correct, answered) per domain."""
    rows = list(domains)
    total = sum(weight for weight, _, _ in rows)
    if not total:
        return Band(0.0, 100.0, pass_line)
    low = high = 0.0
    for weight, correct, answered in rows:
        lo, hi = wilson(correct, answered)
        low += weight * lo
        high += weight * hi
    return Band(low / total, high / total, pass_line)

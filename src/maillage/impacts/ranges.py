"""Interval arithmetic on (low, central, high): how ranges propagate through a formula.

The low end of a product is the smallest product of the factors' ends, the high end the
largest; for factors that are never negative this is « every low bound together, every high
bound together », and it stays right when a factor can be negative (a subtraction in a
formula). The central value is computed from the central values. Since multiplying and adding
are monotone in each factor, low ≤ central ≤ high holds for every result; the clamp below only
absorbs rounding.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    low: float
    central: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.central <= self.high:
            raise ValueError(f"intervalle mal ordonné : {self.low} ≤ {self.central} ≤ {self.high}")

    @classmethod
    def point(cls, value: float) -> "Range":
        return cls(value, value, value)

    @classmethod
    def of(cls, low: float, central: float, high: float) -> "Range":
        """A range from computed ends, rounding errors absorbed."""
        low, high = min(low, high), max(low, high)
        return cls(low, min(max(central, low), high), high)

    def __add__(self, other: "Range") -> "Range":
        return Range.of(self.low + other.low, self.central + other.central, self.high + other.high)

    def __mul__(self, other: "Range") -> "Range":
        ends = [a * b for a in (self.low, self.high) for b in (other.low, other.high)]
        return Range.of(min(ends), self.central * other.central, max(ends))

    def inverse(self) -> "Range":
        """1 / x: defined only for a range that excludes zero."""
        if self.low <= 0 <= self.high:
            raise ZeroDivisionError("l'intervalle contient zéro : pas d'inverse")
        return Range.of(1 / self.high, 1 / self.central, 1 / self.low)

    @property
    def width(self) -> float:
        return self.high - self.low

    def as_dict(self) -> dict[str, float]:
        return {"low": self.low, "central": self.central, "high": self.high}


ZERO = Range.point(0.0)
ONE = Range.point(1.0)

"""What verification found: points, directions, errors, notes, and each check's
outcome; `summary()` is the module header's `# Verified:` line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class VerificationReport:
    points: int = 0
    directions: int = 0
    forward_error: float = 0.0  # largest relative difference of forward from the function
    gradient_error: float = 0.0  # largest relative difference among verified checks
    rtol_forward: float = 0.0
    rtol_gradient: float = 0.0
    evaluations: int = 0
    notes: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)  # every gradcheck.Outcome
    float32: str = ""  # how the float32 module was checked, for float32 programs

    def methods(self) -> dict:
        """parameter -> set of methods that verified it."""
        out: dict = {}
        for o in self.outcomes:
            out.setdefault(o.param, set())
            if o.status == "verified":
                out[o.param].add(o.method)
        return out

    def undecided(self, skip=()) -> list[str]:
        """What could not be checked where: one phrase per (parameter, reason)."""
        points: dict = {}
        for o in self.outcomes:
            if o.status == "undecided" and o.param not in skip:
                key = (f"{o.param}{' ' + o.block if o.block else ''}", o.detail)
                points.setdefault(key, [])
                if o.point not in points[key]:
                    points[key].append(o.point)
        return [f"{what} at {', '.join(where)}" + (f" ({detail})" if detail else "")
                for (what, detail), where in points.items()]

    def summary(self) -> str:
        """A stable one-line description (no measured numbers: they vary by machine)."""
        by_method: dict = {}
        unchecked = []
        for name, methods in self.methods().items():
            if not methods:
                unchecked.append(name)
            for m in sorted(methods):
                by_method.setdefault(m, []).append(name)
        parts = [f"forward at {self.points} points"]
        everyone = list(self.methods())

        def listed(names):
            if names == everyone and len(names) > 8:
                return f"every parameter ({len(names)})"
            return ", ".join(names) if len(names) <= 8 else \
                f"{', '.join(names[:3])} and {len(names) - 3} more"
        if by_method:
            parts.append("gradient of " + ", ".join(
                f"{listed(names)} by {method}" for method, names in sorted(by_method.items()))
                + " (one direction per parameter and block at each point)")
        if self.float32:
            parts.append(self.float32)
        if unchecked:
            reasons = sorted({o.detail for o in self.outcomes
                              if o.param in unchecked and o.detail})
            parts.append(f"NOT CHECKED: {', '.join(unchecked)} (no point was decidable: "
                         f"{'; '.join(reasons) or 'undecided'})")
        undecided = self.undecided(skip=unchecked)
        if undecided:
            parts.append("not decidable: " + "; ".join(undecided))
        return "; ".join(parts)

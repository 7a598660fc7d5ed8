"""Mutation test of verification (tests/support/mutation.py): wrong VJP rules do not compile,
right ones do. A sample runs in CI; the whole registry runs as a slow test."""

from __future__ import annotations

import pytest

from support import mutation

# Mutants no program can reveal: the rule ignores what the mutation changes (zero
# gradients, rules that never read their operands), so the mutated rule is the same
# function. Each was checked by hand; README lists them.
EQUIVALENT = {
    **{(op, v): "the rule returns no contribution (zero gradient)"
       for op in ("ceil", "floor", "floor_divide", "rint", "round", "sign", "trunc")
       for v in mutation.VARIANTS},
    **{(op, "swap"): "the rule does not read its operands"
       for op in ("add", "subtract", "negative", "deg2rad", "rad2deg", "stack")},
}


def _check(outcome):
    assert outcome["false_rejections"] == [], outcome["false_rejections"]
    by_mutant: dict = {}
    for name, variant, program, status in outcome["results"]:
        by_mutant.setdefault((name, variant), []).append((program, status))
    missed = {}
    for key, runs in by_mutant.items():
        if any(s in ("rejected", "refused") for _, s in runs) or key in EQUIVALENT:
            continue
        if all(s == "missed inert" for _, s in runs):
            continue  # no program it runs on exercises it: see the slow test's report
        missed[key] = runs
    assert not missed, missed


def test_a_sample_of_wrong_rules_is_rejected_and_no_right_program_is():
    _check(mutation.run(sample=40, seed=12))


@pytest.mark.slow
def test_every_wrong_rule_is_rejected_and_no_right_program_is():
    outcome = mutation.run(per_op=3)
    _check(outcome)
    print(mutation.summarize(outcome))

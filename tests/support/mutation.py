"""Mutation test of verification (issue 12): wrong VJP rules must not compile.

For every differentiable op in the registry, each wrong variant of its VJP rule is
injected alone and the programs that use the op are compiled with it:

- `scaled`: every contribution times (1 + 1e-4);
- `sign`: the first contribution negated;
- `swap`: the first two operands exchanged before the rule sees them (for a unary
  elementwise op, its operand and its output: tanh' = 1 - a*a instead of 1 - y*y);
- `dropped`: a term dropped: the first operand's contribution (ops with two or more
  operands), or the local derivative (a unary elementwise op passes g through).

The programs are the examples, the corpus (tests/support/corpus.py) and, for an op neither
uses, the op's own generated cases (tests/support/opcases.py, as tests/test_ops.py runs
them). A mutant compile ends as
`rejected` (VerificationError), `refused` (another error: the mutant broke the
pipeline, a swapped shape), or `missed`; a miss is `inert` when the mutated module's
gradient equals the right one at the example (the mutation changes nothing there, so no
check could see it) and `unchecked` when the header says a parameter could not be
checked. `python tests/mutation.py` runs it all and prints the table for the README;
tests/test_mutation.py runs a sample.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import random
import zlib
from collections import Counter

import numpy as np

from bpcompiler import CompileError, VerificationError, compile_grad
from bpcompiler.ops import REGISTRY
from bpcompiler.ops.registry import elementwise_rule
from bpcompiler.trace import trace
from support import corpus, opcases

# the repository's root (its examples/): this file is tests/support/mutation.py
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

VARIANTS = ("scaled", "sign", "swap", "dropped")
SCALE = 1.0 + 1e-4


def _unary_elementwise(op) -> bool:
    return op.arity == 1 and op.shape_rule is elementwise_rule


def applies(op, variant: str) -> bool:
    if variant in ("swap", "dropped"):
        return op.arity != 1 or _unary_elementwise(op)
    return True


def mutant(vjp, variant: str):
    def rule(g, y, *operands, **params):
        if variant == "swap":
            if len(operands) >= 2:
                operands = (operands[1], operands[0]) + tuple(operands[2:])
            else:
                y, operands = operands[0], (y,)
        out = list(vjp(g, y, *operands, **params))
        live = [k for k, c in enumerate(out) if c is not None]
        if variant == "scaled":
            out = [None if c is None else c * SCALE for c in out]
        elif variant == "sign" and live:
            out[live[0]] = -out[live[0]]
        elif variant == "dropped" and live:
            out[live[0]] = None if len(operands) >= 2 else g
        return tuple(out)
    return rule


@contextlib.contextmanager
def injected(name: str, variant: str):
    old = REGISTRY[name]
    REGISTRY[name] = dataclasses.replace(old, vjp=mutant(old.vjp, variant))
    try:
        yield
    finally:
        REGISTRY[name] = old


# -- programs ---------------------------------------------------------------------------

def example_programs():
    from bpcompiler.sources import load_function
    from bpcompiler.specs import default_wrt, example_args, specs_for
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.py"))):
        text = open(path, encoding="utf-8").read()
        for name in ("loss", "energy", "rosenbrock", "seed_network"):
            if f"def {name}(" in text:
                fn = load_function(f"{path}:{name}")
                specs = specs_for(fn, {})
                out.append((f"examples/{os.path.basename(path)}:{name}", fn,
                            example_args(specs), default_wrt(specs)))
    return out


def corpus_programs():
    out = []
    for case in corpus.CASES:
        if case.marks:
            continue
        rng = np.random.default_rng(zlib.crc32(case.name.encode()))
        out.append((f"corpus:{case.name}", case.fn, case.make_args(rng), case.wrt))
    return out


def op_case_program(op):
    """The first float64 generated case of the op: f = sum(weights * op(x...))."""
    cases = [c for c in opcases.op_cases() if c[1] is op and c[4] == "float64"]
    # the case with the most elements: signs and ties of its operands vary most
    cases.sort(key=lambda c: -sum(int(np.prod(s)) for s in c[2]))
    for _, case_op, shapes, params, dtype, python in cases:
        rng = np.random.default_rng(1234)
        args, wrt = opcases.sample_args(op, shapes, dtype, python, rng)
        weights = opcases.weights_for(op, [opcases.aval_of(a) for a in args], params, python,
                                      "float64", rng)  # (one array per field of eigh & co.)
        f = opcases.case_function(op, params, python, weights, len(args))
        f.__name__ = f"case_{op.name}"
        return (f"op case:{op.name}{shapes}", f, tuple(args), wrt)
    return None


def ops_used(program) -> set:
    _, fn, args, wrt = program
    try:
        return {a["op"] for _, a in trace(fn, args, wrt).nodes(data=True)}
    except CompileError:
        return set()


class Programs:
    """The programs that compile with the right rules, and which ops each uses."""

    def __init__(self):
        self.good, self.false_rejections, self.uses = [], [], {}
        for program in example_programs() + corpus_programs():
            self.add(program)

    def add(self, program) -> bool:
        label, fn, args, wrt = program
        try:
            compiled = compile_grad(fn, args, wrt=wrt)
        except VerificationError as exc:
            self.false_rejections.append((label, str(exc)))
            return False
        except CompileError:
            return False
        self.good.append(program)
        self.uses[label] = (ops_used(program), compiled.module.grad(*args))
        return True

    def for_op(self, op, limit: int):
        chosen = [p for p in self.good if op.name in self.uses[p[0]][0]][:limit]
        if not chosen:
            case = op_case_program(op)
            if case is not None and self.add(case):
                chosen = [case]
        return chosen


# -- running ----------------------------------------------------------------------------

def run_one(programs: Programs, name: str, variant: str, program) -> str:
    label, fn, args, wrt = program
    with injected(name, variant):
        try:
            compiled = compile_grad(fn, args, wrt=wrt)
        except VerificationError:
            return "rejected"
        except CompileError:
            return "refused"
        except Exception:  # a mutant may break the pipeline in any way
            return "refused"
    if "NOT CHECKED" in compiled.report.verification.summary():
        return "missed unchecked"
    right = programs.uses[label][1]
    wrong = compiled.module.grad(*args)
    same = all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(right, wrong))
    return "missed inert" if same else "missed"


def mutants(sample: int | None = None, seed: int = 0):
    pairs = [(name, v) for name, op in sorted(REGISTRY.items())
             if op.differentiable and op.arity != 0 and op.vjp is not None
             for v in VARIANTS if applies(op, v)]
    if sample is not None:
        pairs = random.Random(seed).sample(pairs, min(sample, len(pairs)))
    return pairs


def run(sample: int | None = None, per_op: int = 3, seed: int = 0) -> dict:
    programs = Programs()
    results = []  # (op, variant, program label, status)
    for name, variant in mutants(sample, seed):
        statuses = []
        for program in programs.for_op(REGISTRY[name], 1 if sample else per_op):
            statuses.append(run_one(programs, name, variant, program))
            results.append((name, variant, program[0], statuses[-1]))
        case = op_case_program(REGISTRY[name])
        if all(s == "missed inert" for s in statuses) and case is not None and \
                case[0] not in {r[2] for r in results} and programs.add(case):
            # inert where the corpus uses the op: the op's own generated case too
            results.append((name, variant, case[0], run_one(programs, name, variant, case)))
    return {"results": results, "false_rejections": programs.false_rejections,
            "programs": len(programs.good)}


def summarize(outcome: dict) -> str:
    results = outcome["results"]
    counts = Counter(status for *_, status in results)
    by_mutant: dict = {}
    for name, variant, _, status in results:
        by_mutant.setdefault((name, variant), []).append(status)
    caught = sum(1 for s in by_mutant.values() if any(x in ("rejected", "refused") for x in s))
    inert = sum(1 for s in by_mutant.values() if all(x == "missed inert" for x in s))
    lines = [f"{len(by_mutant)} mutants of {len({n for n, _ in by_mutant})} ops over "
             f"{outcome['programs']} programs, {len(results)} compiles: "
             + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
             f"mutants rejected on some program: {caught} of {len(by_mutant)} "
             f"({caught / max(len(by_mutant), 1):.1%}); inert everywhere: {inert}",
             f"false rejections of correct programs: {len(outcome['false_rejections'])}"]
    for (name, variant), statuses in sorted(by_mutant.items()):
        if not any(x in ("rejected", "refused") for x in statuses):
            lines.append(f"  not rejected: {name} {variant}: {', '.join(sorted(set(statuses)))}")
    return "\n".join(lines)


def main(argv=None) -> None:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--per-op", type=int, default=3)
    options = parser.parse_args(argv)
    print(summarize(run(options.sample, options.per_op)))

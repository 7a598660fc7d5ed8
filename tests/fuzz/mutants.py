"""Bad-input fuzzing: random mutations of valid random programs.

A mutant is a valid program (programs.py) with one mutation applied to its source, its
example arguments or its `wrt`: a branch on a traced value, float()/.item(), in-place
writes, a bad return value, an unsupported or random function, a shape mismatch, a
deleted line, a swapped operator or name, recursion, a loop that grows the trace, a
*args signature, bad example arguments, a bad `wrt`. The property: `compile_grad` either
returns (and then its module was verified) or raises a `CompileError` that is not an
`InternalError`; nothing else, and no output file unless it returned.
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass

import numpy as np

from bpcompiler import CompileError, InternalError, compile_grad
from bpcompiler.sources import load_function

from . import programs

BODY_MUTATIONS = [
    "if {v} > 0:\n        {v} = {v} * 2.0",
    "while {v} > 0:\n        {v} = {v} - 1.0",
    "{v} = float({v})",
    "{v} = int({v})",
    "{v} = bool({v})",
    "{v} = {v}.item()",
    "{v} = {v} + len({v})",
    "{p}[0] = 1.0",
    "{p}[...] = 0.0",
    "{p} += 1.0",
    "{p} *= 2.0",
    "{v} -= {v}",
    "return {v}",
    "return None",
    "return ({v}, {v})",
    "return 'value'",
    "return",
    "return 1",
    "return {v} > 0",
    "{v} = np.fft.fft({v})",
    "{v} = np.sort({v})",
    "{v} = np.cumsum({v})",
    "{v} = np.linalg.inv({v})",
    "{v} = {v} + np.random.normal(size=np.shape({v}))",
    "{v} = {v} + np.random.rand()",
    "{v} = {v} * np.random.default_rng(0).normal()",
    "{v} = {v} @ np.ones((7, 5))",
    "{v} = {v} + np.ones((9, 8, 7))",
    "{v} = np.sum({v}, axis=5)",
    "{v} = {v}.reshape((13, 17))",
    "{v} = {v} + 'a'",
    "{v} = {v} + [1.0, 2.0]",
    "{v} = {v} + 1j",
    "{v} = undefined_name + {v}",
    "{v} = recurse({v})",
    "for _ in range(1000000):\n        {v} = {v} + 1.0",
    "{v} = np.asarray({v}).copy()",
    "{v} = np.array([{v}, {v}])",
    "{v} = {v}.sort()",
    "{v} = {v}.conj()",
    "{v} = round({v})",
    "{v} = math.floor({v})",
    "{v} = math.erf({v})",
    "{v} = {v} ** {v}",
    "{v} = np.log({v} - 100.0)",
    "{v} = {v} / ({v} - {v})",
    "raise ValueError('user error')",
    "assert False, 'user assertion'",
    "{v} = np.where({v})",
    "{v} = np.tanh({v}, out={v})",
    "{v} = np.add.reduce({v})",
    "{v} = {v}[{v}]",
    "{v} = {v}[np.array([0, 0])]",
    "{v} = np.float16({v})",
    "{v} = {v}.astype(np.complex128)",
    "{v} = {v}.astype(np.int64)",
    "global G\n    G = {v}",
    "{v} = {v}.reshape('a')",
    "{v} = np.broadcast_to({v}, 'a')",
    "{v} = {v}.astype('not a dtype')",
    "{v} = np.transpose({v}, (5, 0))",
    "{v} = np.sum({v}, axis=1.5)",
    "{v} = np.sum({v}, keepdim=True)",
    "{v} = {v}[1.5]",
    "{v} = {v}[0, 0, 0, 0, 0]",
    "{v} = min({v})",
    "{v} = max({v}, key=abs)",
    "{v} = sum({v})",
    "{v} = np.swapaxes({v}, 0, 9)",
    "{v} = np.reshape({v}, (-1,), order='F')",
    "import random\n    {v} = {v} * random.random()",
    "from numpy.random import normal\n    {v} = {v} + normal()",
    "import math\n    {v} = math.tanh({v})",
]

OPERATORS = ["+", "-", "*", "/", "@", "**", "%", "//", "<", "&"]


@dataclass
class MutantResult:
    status: str  # "compiled", "refused <Class>", "failed"
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def mutate(program: programs.Program, rng: np.random.Generator):
    """(source, args, wrt, description) for one random mutation of `program`."""
    source, args, wrt = program.source, list(program.args), None
    lines = source.splitlines()
    body = [i for i, line in enumerate(lines) if line.startswith("    ")]
    names = re.findall(r"^    (v\d+) =", source, re.M) or list(program.params)
    kind = int(rng.integers(0, 10))
    if kind <= 4:
        template = BODY_MUTATIONS[int(rng.integers(0, len(BODY_MUTATIONS)))]
        text = template.format(v=rng.choice(names), p=rng.choice(program.params))
        at = int(rng.choice(body))
        lines.insert(at, "    " + text)
        source = "\n".join(lines) + "\n"
        source += "\n\ndef recurse(x):\n    return recurse(x * 1.0) + 1.0\n"
        return source, args, wrt, f"insert {text!r} at line {at + 1}"
    if kind == 5:
        at = int(rng.choice(body))
        removed = lines.pop(at)
        return "\n".join(lines) + "\n", args, wrt, f"delete line {at + 1}: {removed!r}"
    if kind == 6:  # swap an operator or a name
        at = int(rng.choice(body))
        line = lines[at]
        spots = [m for m in re.finditer(r" ([-+*/@]|\*\*) ", line)]
        if spots and rng.random() < 0.5:
            m = spots[int(rng.integers(0, len(spots)))]
            new = f" {OPERATORS[int(rng.integers(0, len(OPERATORS)))]} "
            lines[at] = line[:m.start()] + new + line[m.end():]
        else:
            idents = list(re.finditer(r"\b[vp]\d+\b", line))
            if idents:
                m = idents[int(rng.integers(0, len(idents)))]
                other = f"{'vp'[int(rng.integers(0, 2))]}{int(rng.integers(0, 12))}"
                lines[at] = line[:m.start()] + other + line[m.end():]
        return "\n".join(lines) + "\n", args, wrt, f"line {at + 1} -> {lines[at]!r}"
    if kind == 7:  # bad example arguments
        i = int(rng.integers(0, len(args)))
        choice = int(rng.integers(0, 9))
        bad = ["a string", [1.0, 2.0], np.array([1.0, None], dtype=object), 1.5 + 2j,
               np.array([1 + 1j, 2.0]), float("nan"), np.full(np.shape(args[i]) or (2,), np.inf),
               None, np.ones(3, dtype=np.float16)][choice]
        if choice == 5 and isinstance(args[i], np.ndarray) and args[i].size:
            bad = args[i].astype(np.float64).copy()
            bad.flat[0] = np.nan
        args[i] = bad
        return source, args, wrt, f"argument {i} -> {bad!r}"
    if kind == 8:  # wrong number of arguments, or *args
        choice = int(rng.integers(0, 3))
        if choice == 0:
            return source, args[:-1], wrt, "one argument too few"
        if choice == 1:
            return source, args + [1.0], wrt, "one argument too many"
        source = re.sub(r"def f\(([^)]*)\)", lambda m: f"def f(*{m.group(1).split(', ')[0]})",
                        source)
        return source, args, wrt, "*args signature"
    choice = int(rng.integers(0, 5))  # bad wrt
    wrt = ["nope", ("p0", "p0"), (), 5, ("p0", "zz")][choice]
    return source, args, wrt, f"wrt={wrt!r}"


def check_mutant(seed: int, directory: str) -> MutantResult:
    rng = np.random.default_rng(seed)
    program = programs.generate(programs.RandomChooser(seed))
    source, args, wrt, what = mutate(program, rng)
    path = os.path.join(directory, f"mutant_{os.getpid()}_{seed}.py")
    out = os.path.join(directory, f"mutant_{os.getpid()}_{seed}_grad.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(source)
    detail = f"mutation: {what}\n{source}\n# args: {args!r}"
    try:
        fn = load_function(f"{path}:f")
        compile_grad(fn, args, wrt=wrt, out=out)
    except InternalError as exc:
        return MutantResult("failed", f"{detail}\nInternalError: {exc}")
    except CompileError as exc:
        if os.path.exists(out):
            return MutantResult("failed", f"{detail}\n{type(exc).__name__} but {out} was written")
        if "\n" in str(exc):
            return MutantResult("failed", f"{detail}\nmessage is not one line: {exc}")
        return MutantResult(f"refused {type(exc).__name__}")
    except BaseException:
        return MutantResult("failed", f"{detail}\nuncaught:\n{traceback.format_exc(limit=10)}")
    finally:
        globals().pop("G", None)
    return MutantResult("compiled")

"""Soak test: compile many random programs and check every gradient.

    python tests/soak.py --n 10000 [--seed 0] [--mutants 2000] [--statements 8]

Program k is generated from seed `--seed + k` (tests/fuzz/programs.py), so a failure is
reproduced with `--seed K --n 1` (and the same `--statements`). Each program is compiled
with `compile_grad`; its emitted gradient is compared with element-wise central
differences and with autograd (a program not smooth at its example point, or with a jump
verification cannot step over, is skipped). Then `--mutants` bad-input mutations (tests/fuzz/mutants.py) must each compile or raise
a CompileError other than InternalError. Prints a summary; exit status 1 if anything
failed. Failures are written in full to `--log` (default: soak-failures.txt in the temp
directory).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time

from fuzz import mutants, programs  # (tests/fuzz/: this script's folder, tests/, has it)


# Why a program was skipped, by the start of its outcome's detail (see check_program).
SKIPS = {"not smooth": "not smooth at the example point",
         "VerificationError": "with a jump inside verification's difference step",
         "FunctionRaisedError": "raising outside its domain at verification's perturbed point"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="number of valid programs")
    parser.add_argument("--mutants", type=int, default=None,
                        help="number of mutated programs (default n/5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--statements", type=int, default=8,
                        help="most statements per program")
    parser.add_argument("--log", default=os.path.join(tempfile.gettempdir(),
                                                      "soak-failures.txt"))
    options = parser.parse_args(argv)
    n_mutants = options.n // 5 if options.mutants is None else options.mutants
    directory = programs.temp_directory()
    stats = collections.Counter()
    ops = collections.Counter()
    skips = collections.Counter()
    failures = []
    start = time.time()
    for k in range(options.n):
        seed = options.seed + k
        program = programs.generate(programs.RandomChooser(seed), options.statements)
        outcome = programs.check_program(program, directory)
        stats[outcome.status] += 1
        stats["autograd checked"] += outcome.autograd_checked
        if outcome.status == "ok":
            ops.update(program.ops)
        if outcome.status == "skipped":
            skips[SKIPS[outcome.detail.split(":")[0].split(" along")[0]]] += 1
        if outcome.failed:
            failures.append(f"== program seed {seed}\n{program.describe()}\n{outcome.detail}\n")
            print(f"seed {seed} FAILED: {outcome.detail.splitlines()[0][:160]}", flush=True)
        if (k + 1) % 500 == 0:
            print(f"{k + 1} programs, {dict(stats)}, {time.time() - start:.0f} s", flush=True)
    mutant_stats = collections.Counter()
    for k in range(n_mutants):
        seed = options.seed + k
        result = mutants.check_mutant(seed, directory)
        mutant_stats[result.status] += 1
        if result.failed:
            failures.append(f"== mutant seed {seed}\n{result.detail}\n")
    elapsed = time.time() - start
    print(f"programs: {options.n} ({stats['ok']} checked ok, {stats['skipped']} skipped, "
          f"{stats['failed']} failed; {stats['autograd checked']} also checked against "
          "autograd)")
    if skips:
        print("skipped: " + ", ".join(f"{v} {k}" for k, v in sorted(skips.items())))
    print(f"mutants: {n_mutants} ({dict(sorted(mutant_stats.items()))})")
    print("op uses in checked programs: " + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
    unfuzzed = programs.unfuzzed_ops()
    print(f"user-facing registry ops the generator does not reach: "
          f"{', '.join(unfuzzed) if unfuzzed else 'none'}")
    missed = sorted(set(programs.user_ops()) - set(ops))
    if missed:
        print(f"generated but in no checked program this run: {', '.join(missed)}")
    print(f"time: {elapsed:.0f} s")
    with open(options.log, "w", encoding="utf-8") as f:
        f.write("\n".join(failures))
    if failures:
        print(f"{len(failures)} FAILURES, written to {options.log}")
        return 1
    print("no failures")
    return 0


if __name__ == "__main__":
    sys.exit(main())

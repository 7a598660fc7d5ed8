#!/usr/bin/env bash
# Compile every example into output/ and draw the seed network's graph. Run from the
# repository root after `pip install -e .`. Each line is also recorded in the header of
# the module it writes, so `bpcompiler check --update output/` regenerates the modules
# from those headers alone; this script is what adds a new example to output/.
set -euo pipefail
cd "$(dirname "$0")/.."

bpcompiler compile examples/seed_network.py:seed_network -o output/seed_network_grad.py
bpcompiler compile examples/mlp.py:loss -o output/mlp_grad.py
bpcompiler compile examples/logistic_regression.py:loss -o output/logistic_regression_grad.py
bpcompiler compile examples/rosenbrock.py:rosenbrock -o output/rosenbrock_grad.py
bpcompiler compile examples/particles.py:energy -o output/particles_grad.py
bpcompiler compile examples/newton_fit.py:loss -o output/newton_fit_grad.py --emit grad,hvp
bpcompiler compile examples/decay_fit.py:residuals -o output/decay_fit_grad.py --emit jacobian,jvp,vjp
bpcompiler compile examples/taylor_sine.py:taylor_sine -o output/taylor_sine_grad.py --control-flow guard
bpcompiler compile examples/dask_logistic_regression.py:loss -o output/dask_logistic_regression_grad.py --target array-api
bpcompiler graph examples/seed_network.py:seed_network -o output/seed_network_graph.svg --layout builtin

"""sin(x) by its Taylor series, adding terms until one is below a tolerance: a loop
whose trip count depends on x, so no single straight-line module computes it for
every x.

    bpcompiler compile examples/taylor_sine.py:taylor_sine -o output/taylor_sine_grad.py \\
        --control-flow guard

With `--control-flow guard` the module follows the path the example takes (here, the
terms that x = 0.9 needs): each `while` test becomes a check at the line it came from,
and for an x that needs more or fewer terms the module raises OtherPathError, naming
the line and the command that compiles it for that x, instead of returning the
derivative of the wrong number of terms. Without the flag the loop is refused with
advice (a fixed number of terms).
"""


def taylor_sine(x: "float in [0.5, 1.5]"):
    term = x
    total = x
    n = 1
    while abs(term) > 1e-4:
        term = -term * x * x / ((n + 1) * (n + 2))
        total = total + term
        n += 2
    return total

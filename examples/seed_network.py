"""The network of the seed document (Ranganathan, "Backpropagation Derivation", 2021).

Two inputs x00 and x01 each feed one tanh unit of the first hidden layer; the two hidden
outputs feed one tanh unit whose output is y. Names follow the document: z for a unit's
linear part, x for its activation, w20_0/w20_1 for the document's w20^[0]/w20^[1].

The document's summary table (section 2.3) prints
    dy/dw10 = α'(z20) · w20^[1] · α'(z10) · x00,
but its own derivation in section 2.1 gives w20^[0]. The compiled module,
output/seed_network_grad.py, is verified against finite differences, and agrees with
section 2.1: its d_w10 is α'(z20) · w20_0 · α'(z10) · x00 (see tests/test_seed.py).

Unannotated parameters are Python floats; the inputs x00 and x01 are marked `data`, so
`bpcompiler compile examples/seed_network.py:seed_network` differentiates the weights
and biases only.
"""

import math


def seed_network(w10, b10, w11, b11, w20_0, w20_1, b20_0, b20_1, x00: "float data",
                 x01: "float data"):
    # First layer: one unit per input.
    z10 = w10 * x00 + b10
    x10 = math.tanh(z10)
    z11 = w11 * x01 + b11
    x11 = math.tanh(z11)
    # Second layer: one unit over both hidden outputs (the document splits the bias).
    z20 = (w20_0 * x10 + b20_0) + (w20_1 * x11 + b20_1)
    x20 = math.tanh(z20)
    y = x20
    return y

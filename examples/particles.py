"""Potential energy of a small cluster of particles: Lennard-Jones pairs in a harmonic trap.

    E(r) = sum over pairs i < j of 4 eps ((sigma / r_ij)^12 - (sigma / r_ij)^6)
           + k/2 sum over i of |r_i|^2

Pairwise differences come from broadcasting (N,1,3) against (1,N,3), with no loop over
pairs. The diagonal (a particle paired with itself, r_ii = 0) is masked without a branch:
adding the identity matrix to the squared distances keeps the division finite there,
and multiplying by OFF_DIAGONAL zeroes those terms; each pair is counted twice, hence
the 1/2. The gradient with respect to `positions` is minus the force on each particle;
the example positions are drawn from a cube wide enough that no two particles overlap
badly. Compile with

    bpcompiler compile examples/particles.py:energy -o output/particles_grad.py
"""

import numpy as np

N = 8
SIGMA = 1.0  # particle diameter
EPSILON = 1.0  # depth of the pair potential's well
TRAP = 0.1  # spring constant of the harmonic trap
EYE = np.eye(N)
OFF_DIAGONAL = 1.0 - EYE


def energy(positions: "f64[8,3] in [-2, 2]"):
    diff = positions[:, None, :] - positions[None, :, :]  # (N, N, 3): r_i - r_j
    r2 = np.sum(diff**2, axis=-1) + EYE  # squared distances; 1 on the diagonal
    s6 = (SIGMA**2 / r2) ** 3
    pair = 4.0 * EPSILON * (s6**2 - s6) * OFF_DIAGONAL
    trap = 0.5 * TRAP * np.sum(positions**2)
    return 0.5 * np.sum(pair) + trap

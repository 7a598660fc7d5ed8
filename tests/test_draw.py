"""The graph picture's layout: properties every drawing must have, on real examples."""

from __future__ import annotations

import os

import pytest

from bpcompiler import compile_grad
from bpcompiler.draw import render, scene
from bpcompiler.specs import example_args, specs_for
from support.examples import example

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
logistic_regression, mlp, particles, seed_network = (
    example(n) for n in ("logistic_regression", "mlp", "particles", "seed_network"))

FUNCTIONS = {"seed": seed_network.seed_network, "mlp": mlp.loss,
             "logistic": logistic_regression.loss, "particles": particles.energy}


@pytest.fixture(scope="module", params=sorted(FUNCTIONS))
def graph(request):
    fn = FUNCTIONS[request.param]
    return compile_grad(fn, example_args(specs_for(fn, {}))).graph


def test_every_edge_points_down_and_boxes_do_not_overlap(graph):
    s = scene(graph)
    for e in s.edges:
        source, target = s.boxes[e.source], s.boxes[e.target]
        assert target.y >= source.y + source.h, (source.lines, target.lines)
    boxes = sorted(s.boxes.values(), key=lambda b: (b.y, b.x))
    for a, b in zip(boxes, boxes[1:]):
        if a.y == b.y:
            assert a.x + a.w / 2 <= b.x - b.w / 2, (a.lines, b.lines)
    for b in boxes:
        assert 0 <= b.x - b.w / 2 and b.x + b.w / 2 <= s.width
        assert 0 <= b.y and b.y + b.h <= s.height


def test_every_node_and_operand_is_drawn(graph):
    s = scene(graph)
    drawn = {k for k in s.boxes if not isinstance(k, tuple)}
    inlined = {k[1] for k in s.boxes if isinstance(k, tuple) and k[0] == "const"}
    assert drawn | inlined == set(graph)
    edges = {(e.source, e.target) for e in s.edges}
    for node in drawn:
        for arg in graph.nodes[node]["args"]:
            assert (arg, node) in edges or any(
                src == ("const", arg, node) and dst == node for src, dst in edges)
    results = [k for k in s.boxes if isinstance(k, tuple) and k[0] == "result"]
    assert len(results) == 1 + len(graph.graph["wrt"])


def test_shared_marks_exactly_the_adjoints_used_more_than_once(graph):
    s = scene(graph)
    uses = {}
    for e in s.edges:
        uses[e.source] = uses.get(e.source, 0) + 1
    for key, box in s.boxes.items():
        assert box.shared == (box.kind == "adjoint" and uses.get(key, 0) > 1)


def test_pictures_are_deterministic(graph):
    assert render(graph, "svg") == render(graph, "svg")
    assert render(graph, "dot") == render(graph, "dot")

"""Drawing a genome: SVG by hand, PNG through matplotlib."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from neat_configs import XOR

from gone.errors import ConfigError
from gone.neat import read_config
from gone.neat.draw import draw, layout, to_svg
from gone.neat.population import NeatPopulation
from gone.neat.tasks import XorFitness


@pytest.fixture(scope="module")
def genome():
    pop = NeatPopulation(read_config(text=XOR, no_fitness_termination=True, pop_size=50), seed=2)
    pop.run(XorFitness(), generations=25)
    g = max(pop.members(), key=lambda g: g.n_nodes)
    assert g.n_nodes > 1
    return g


def test_svg_has_every_node_and_enabled_connection_widths_by_weight(genome, tmp_path):
    draw(genome, tmp_path / "g.svg", 2, 1)
    root = ET.fromstring((tmp_path / "g.svg").read_text())
    ns = "{http://www.w3.org/2000/svg}"
    circles = root.findall(f"{ns}circle")
    assert len(circles) == 2 + genome.n_nodes
    paths = root.findall(f"{ns}path")
    assert len(paths) == int(genome.enabled.sum())
    widths = np.array([float(p.get("stroke-width")) for p in paths])
    weights = np.abs(genome.weight[genome.enabled])
    # 0.5 .. 5 in proportion to |weight|, scaled by the largest |weight| drawn or not
    np.testing.assert_allclose(widths, 0.5 + 4.5 * weights / np.abs(genome.weight).max(), atol=0.006)
    every = ET.fromstring(to_svg(genome, 2, 1, show_disabled=True)).findall(f"{ns}path")
    assert len(every) == genome.n_connections
    assert sum('stroke-dasharray' in ET.tostring(p).decode() for p in every) == \
        genome.n_connections - int(genome.enabled.sum())


def test_layout_puts_inputs_left_outputs_right_hidden_between(genome):
    pos = layout(genome, 2, 1)
    assert pos[-1][0] == 0.0 and pos[0][0] == 1.0
    assert all(0 < pos[int(n)][0] < 1 for n in genome.nodes if n >= 1)


def test_png_and_bad_extension(genome, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib (the plot extra) is not installed")
    draw(genome, tmp_path / "g.png", 2, 1)
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ConfigError, match=".svg or .png"):
        draw(genome, tmp_path / "g.jpg", 2, 1)


def test_png_draws_a_self_connection_as_a_loop_above_its_node(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib (the plot extra) is not installed")
    from matplotlib.image import imread

    from gone.neat.genome import Genome
    # in1 -> h1 -> out; h1 -> h1 (weight below the largest, so other widths stay the same)
    nodes = np.array([0, 1])
    ones = np.ones(2)
    base = dict(key=0, nodes=nodes, bias=np.zeros(2), response=ones,
                act=np.zeros(2, np.int16), agg=np.zeros(2, np.int16))
    plain = Genome(**base, src=np.array([-1, 1]), dst=np.array([1, 0]), innov=np.array([0, 1]),
                   weight=np.array([2.0, 2.0]), enabled=np.ones(2, bool))
    looped = Genome(**base, src=np.array([-1, 1, 1]), dst=np.array([1, 0, 1]),
                    innov=np.array([0, 1, 2]), weight=np.array([2.0, 2.0, 1.5]),
                    enabled=np.ones(3, bool))
    draw(plain, tmp_path / "plain.png", 1, 1)
    draw(looped, tmp_path / "loop.png", 1, 1)
    a, b = imread(tmp_path / "plain.png")[..., :3], imread(tmp_path / "loop.png")[..., :3]
    changed = np.argwhere(np.abs(a - b).sum(axis=2) > 0.3)        # (row, column) pixels
    assert len(changed) > 100
    # all of them above the hidden node (drawn mid-height, in the middle column; pixel rows
    # grow downwards)
    assert layout(looped, 1, 1)[1] == (0.5, 0.5)
    h, w = a.shape[:2]
    assert changed[:, 0].max() < h * 0.5 and w / 3 < np.median(changed[:, 1]) < 2 * w / 3

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

"""The graph layer stands on gone.nn and the base only: no file formats, no circle-breaking imports."""

import ast
from pathlib import Path

import gone

GRAPH = Path(gone.__file__).parent / "graph"


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield node, "." * node.level + (node.module or "")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name


def test_graph_modules_never_import_the_format_layer_or_the_cli():
    for path in GRAPH.glob("*.py"):
        for _, name in _imports(ast.parse(path.read_text())):
            assert "format" not in name and "_proto" not in name and "cli" not in name, \
                (path.name, name)


def test_graph_modules_import_at_the_top_only():
    for path in GRAPH.glob("*.py"):
        tree = ast.parse(path.read_text())
        top = {id(n) for n in tree.body}
        for node, name in _imports(tree):
            assert id(node) in top, f"{path.name}: function-local import of {name}"


def test_save_goes_through_the_hook_the_format_layer_registers(tmp_path):
    from gone._base import persistence
    from gone.format import graph as graph_format

    g = gone.GraphNetwork(["x"], ["y"], {"y": {"synapses": {"x": 2.0}}})
    assert persistence.writer_for(g) is graph_format.save
    g.save(tmp_path / "g.gone")
    assert gone.load_graph(tmp_path / "g.gone").to_config() == g.to_config()


def test_topology_edits_are_functions_not_methods():
    g = gone.GraphNetwork(["x"], ["y"], {"y": {"synapses": {"x": 2.0}}})
    for name in ("crossover", "add_connection", "remove_connection", "add_neuron"):
        assert not hasattr(g, name) and callable(getattr(gone.graph, name))
    assert gone.TopologyMutation is gone.graph.TopologyMutation

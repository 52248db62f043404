"""The type stubs list exactly what the extension exports, so an IDE completes every call."""

import ast
import pathlib

import edgeopt
import edgeopt._native as native

STUB = pathlib.Path(__file__).resolve().parents[1] / "edgeopt" / "_native.pyi"


def _stub_names():
    tree = ast.parse(STUB.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_every_export_has_a_stub_and_a_docstring():
    exported = {n for n in dir(native) if not n.startswith("_")} | {"__version__"}
    exported.discard("_predictor_from_json")
    stubs = _stub_names()
    missing = sorted(n for n in exported if n not in stubs)
    assert not missing, f"exports without a stub: {missing}"
    undocumented = sorted(n for n in exported if n != "__version__" and not (getattr(native, n).__doc__ or "").strip())
    assert not undocumented, f"exports without a docstring: {undocumented}"
    assert set(edgeopt.__all__) <= exported | {"__version__"}


def test_class_methods_have_stubs():
    tree = ast.parse(STUB.read_text())
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for name, node in classes.items():
        if not hasattr(native, name) or name.startswith("Edgeopt"):
            continue
        stubbed = {m.name for m in node.body if isinstance(m, ast.FunctionDef)}
        public = {m for m in dir(getattr(native, name)) if not m.startswith("_")}
        assert public <= stubbed, f"{name}: {sorted(public - stubbed)} lack stubs"

"""Shared fixtures: the repository's data files and the `edgeopt` command line to compare with."""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root():
    return ROOT


def _cli_command():
    exe = os.environ.get("EDGEOPT_BIN")
    if exe:
        return [exe]
    built = [ROOT / "target" / p / "edgeopt" for p in ("release", "debug")]
    built = [b for b in built if b.exists()]
    if built:  # the most recently built, so a stale profile is not compared against
        return [str(max(built, key=lambda b: b.stat().st_mtime))]
    cargo = shutil.which("cargo")
    assert cargo, "neither EDGEOPT_BIN, a built target/*/edgeopt nor cargo is available"
    return [cargo, "run", "--quiet", "--manifest-path", str(ROOT / "Cargo.toml"), "--bin", "edgeopt", "--"]


@pytest.fixture(scope="session")
def cli():
    """Run the edgeopt CLI and return its stdout lines."""
    base = _cli_command()

    def run(*args):
        done = subprocess.run(base + [str(a) for a in args], cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    def run(*args):
        return [json.loads(line) for line in cli(*args)]

    return run

"""Sweeps on a Ray cluster: cost matrices, semi-decoupled co-design and searches whose work runs
as Ray tasks, with results bit-identical to the single-process functions.

Ray is an optional dependency (``pip install './python[ray]'``). Every function uses the Ray
runtime the caller started (``ray.init(...)``) or, if none, starts a local one.

* :func:`cost_matrix` shards *(architecture chunk × (dataflow, PE-count chunk))*; each shard is
  one task calling the Rust cost model with the GIL released. Networks travel to the workers
  packed as two numpy arrays (``edgeopt.pack_networks``), put in Ray's object store once.
  With ``checkpoint_dir`` every finished shard is saved on the driver as ``shard-NNNNN.npy``
  (written to a temporary file, then renamed), beside a ``manifest.json`` holding a fingerprint of
  the inputs; a sweep that is killed and run again with the same directory computes only the
  missing shards. (.npy rather than Parquet: exact float64 blocks, and no pyarrow dependency.)
* :func:`semi_decoupled` runs alg. 6's stage 1 (every candidate on the proxy accelerator) and
  stage 2 (the proxy's Pareto set on every accelerator) through :func:`cost_matrix`.
* :func:`evolution` and :func:`nsga2` run each generation's new evaluations of a Python objective
  as Ray tasks (e.g. an accuracy predictor on GPU workers); an objective that raises names the
  architecture key in the error the driver sees.

Failed tasks (a worker process killed) are retried by Ray (``max_retries``); shards are keyed by
their index, so none is lost or counted twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from edgeopt import _native

__all__ = ["Shard", "plan_shards", "cost_matrix", "load_shard", "semi_decoupled", "evolution", "nsga2", "ObjectiveError"]


class ObjectiveError(RuntimeError):
    """A user's objective raised inside a Ray task; the message names the architecture key."""


def _ray():
    try:
        import ray
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("edgeopt.distributed needs Ray: pip install './python[ray]'") from e
    if not ray.is_initialized():
        ray.init(include_dashboard=False)
    return ray


@dataclass(frozen=True)
class Shard:
    """One task: networks ``rows[0]:rows[1]`` on the accelerators ``cols[0]:cols[1]`` of the space,
    which are the sub-grid of one dataflow and a run of PE counts."""

    index: int
    rows: tuple[int, int]
    dataflow: str
    pes: tuple[int, ...]
    cols: tuple[int, int]


def plan_shards(n_networks: int, space: _native.HardwareSpace, arch_chunk: int = 2048, pe_chunk: int = 2) -> list[Shard]:
    """Cut ``n_networks × space`` into shards of at most ``arch_chunk`` networks and ``pe_chunk``
    PE counts of one dataflow (all bandwidth pairs), in a fixed order."""
    if arch_chunk < 1 or pe_chunk < 1:
        raise _native.EdgeoptError(f"arch_chunk = {arch_chunk}, pe_chunk = {pe_chunk}: both must be ≥ 1")
    if n_networks < 1:
        raise _native.EdgeoptError("networks = []: a sweep needs at least one network")
    pes, per_pe = list(space.pes), len(space.noc_bw) * len(space.offchip_bw)
    shards = []
    for d, dataflow in enumerate(space.dataflows):
        for p0 in range(0, len(pes), pe_chunk):
            p1 = min(p0 + pe_chunk, len(pes))
            start = (d * len(pes) + p0) * per_pe
            cols = (start, start + (p1 - p0) * per_pe)
            for r0 in range(0, n_networks, arch_chunk):
                rows = (r0, min(r0 + arch_chunk, n_networks))
                shards.append(Shard(len(shards), rows, dataflow, tuple(pes[p0:p1]), cols))
    return shards


def _sub_space(space_spec: dict, shard: Shard) -> _native.HardwareSpace:
    return _native.HardwareSpace.grid(list(shard.pes), space_spec["noc_bw"], space_spec["offchip_bw"], [shard.dataflow])


def _cost_shard(table, offsets, space_spec, shard: Shard):
    cycles, energy = _native.cost_matrix_packed(table, offsets, _sub_space(space_spec, shard), shard.rows[0], shard.rows[1])
    return shard.index, np.stack([cycles, energy])


def _space_spec(space: _native.HardwareSpace) -> dict:
    return {"pes": list(space.pes), "noc_bw": list(space.noc_bw), "offchip_bw": list(space.offchip_bw), "dataflows": list(space.dataflows)}


def _fingerprint(table: np.ndarray, offsets: np.ndarray, spec: dict, shards: list[Shard]) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(table).tobytes())
    h.update(np.ascontiguousarray(offsets).tobytes())
    h.update(json.dumps(spec, sort_keys=True).encode())
    h.update(json.dumps([(s.rows, s.dataflow, s.pes, s.cols) for s in shards]).encode())
    return h.hexdigest()


class _Checkpoint:
    """Finished shards as .npy files in a directory, each written atomically."""

    def __init__(self, directory: str | os.PathLike | None, fingerprint: str, n_shards: int):
        self.dir = None if directory is None else pathlib.Path(directory)
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        manifest = self.dir / "manifest.json"
        if manifest.exists():
            found = json.loads(manifest.read_text())
            if found.get("fingerprint") != fingerprint:
                raise _native.EdgeoptError(
                    f"checkpoint_dir = {self.dir}: holds shards of a different sweep (other networks, space or chunking); "
                    "use an empty directory"
                )
        else:
            self._atomic(manifest, json.dumps({"fingerprint": fingerprint, "shards": n_shards}).encode())

    def _atomic(self, path: pathlib.Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            pathlib.Path(tmp).unlink(missing_ok=True)
            raise

    def path(self, index: int) -> pathlib.Path:
        return self.dir / f"shard-{index:05d}.npy"

    def load(self, shard: Shard):
        if self.dir is None or not self.path(shard.index).exists():
            return None
        block = np.load(self.path(shard.index))
        expected = (2, shard.rows[1] - shard.rows[0], shard.cols[1] - shard.cols[0])
        return block if block.shape == expected else None

    def save(self, index: int, block: np.ndarray) -> None:
        if self.dir is not None:
            import io

            buf = io.BytesIO()
            np.save(buf, block)
            self._atomic(self.path(index), buf.getvalue())


def _bar(total: int, desc: str, enabled: bool):
    if enabled:
        try:
            from tqdm.auto import tqdm

            return tqdm(total=total, desc=desc, unit="shard")
        except ImportError:
            pass

    class _Silent:
        def update(self, n=1):
            pass

        def close(self):
            pass

    return _Silent()


def cost_matrix(
    networks: Sequence[Sequence[_native.Layer]] | tuple[np.ndarray, np.ndarray],
    space: _native.HardwareSpace,
    *,
    arch_chunk: int = 2048,
    pe_chunk: int = 2,
    checkpoint_dir: str | os.PathLike | None = None,
    progress: bool = True,
    max_retries: int = 3,
    stats: dict | None = None,
    assemble: bool = True,
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`edgeopt.cost_matrix` as Ray tasks: ``(cycles, energy_nj)``, bit-identical to the
    single-process result. ``networks`` may be given packed (``edgeopt.pack_networks``). If
    ``stats`` is a dict it receives ``shards``, ``computed`` and ``resumed`` counts. With
    ``assemble=False`` (sweeps larger than memory) the shards are only written to
    ``checkpoint_dir`` (required then; read them with :func:`load_shard`) and None is returned."""
    if not assemble and checkpoint_dir is None:
        raise _native.EdgeoptError("assemble = False: needs a checkpoint_dir to write the shards to")
    ray = _ray()
    table, offsets = networks if isinstance(networks, tuple) else _native.pack_networks(networks)
    n = len(offsets) - 1
    spec = _space_spec(space)
    shards = plan_shards(n, space, arch_chunk, pe_chunk)
    ckpt = _Checkpoint(checkpoint_dir, _fingerprint(table, offsets, spec, shards), len(shards))
    cycles = np.empty((n, len(space))) if assemble else None
    energy = np.empty((n, len(space))) if assemble else None

    def place(shard: Shard, block: np.ndarray) -> None:
        if assemble:
            r, c = slice(*shard.rows), slice(*shard.cols)
            cycles[r, c], energy[r, c] = block[0], block[1]

    bar = _bar(len(shards), "cost matrix", progress)
    todo, resumed = [], 0
    for s in shards:
        block = ckpt.load(s) if assemble else (np.empty(0) if ckpt.path(s.index).exists() else None)
        if block is None:
            todo.append(s)
        else:
            place(s, block)
            resumed += 1
            bar.update()
    remote = ray.remote(max_retries=max_retries)(_cost_shard)
    table_ref, offsets_ref = ray.put(np.ascontiguousarray(table)), ray.put(np.ascontiguousarray(offsets))
    pending = {remote.remote(table_ref, offsets_ref, spec, s): s for s in todo}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                shard = pending.pop(ref)
                index, block = ray.get(ref)
                if index != shard.index:  # a task answered for another shard: never assemble it
                    raise _native.EdgeoptError(f"shard {shard.index}: the task returned shard {index}")
                ckpt.save(index, block)
                place(shard, block)
                bar.update()
    finally:
        bar.close()
        for ref in pending:
            ray.cancel(ref)
    if stats is not None:
        stats.update(shards=len(shards), computed=len(todo), resumed=resumed)
    return (cycles, energy) if assemble else None


def load_shard(checkpoint_dir: str | os.PathLike, shard: Shard) -> tuple[np.ndarray, np.ndarray]:
    """The ``(cycles, energy_nj)`` block of one finished shard of a checkpointed sweep (its rows
    and columns are ``shard.rows`` and ``shard.cols`` of the whole matrices; see :func:`plan_shards`)."""
    block = np.load(pathlib.Path(checkpoint_dir) / f"shard-{shard.index:05d}.npy")
    return block[0], block[1]


def _single_accelerator(space: _native.HardwareSpace, index: int) -> _native.HardwareSpace:
    if not 0 <= index < len(space):
        raise _native.EdgeoptError(f"proxy = {index}: must be an accelerator index < {len(space)}")
    a = space[index]
    return _native.HardwareSpace.grid([a.hardware.pes], [a.hardware.noc_bw], [a.hardware.offchip_bw], [a.dataflow])


def semi_decoupled(
    networks: Sequence[Sequence[_native.Layer]],
    accuracy: Sequence[float],
    space: _native.HardwareSpace,
    constraints: Sequence[tuple[float, float]],
    *,
    proxy: int = 0,
    max_set: int = 10,
    arch_chunk: int = 2048,
    pe_chunk: int = 2,
    checkpoint_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Alg. 6 with both stages as Ray tasks; the result equals :func:`edgeopt.two_stage` with the
    space's accelerators as devices (every accelerator admissible): ``set``,
    ``proxy_measurements``, ``hardware_measurements`` and the best design per constraint."""
    acc = np.asarray(accuracy, dtype=np.float64)
    table, offsets = _native.pack_networks(networks)
    if len(acc) != len(offsets) - 1:
        raise _native.EdgeoptError(f"accuracy has {len(acc)} values: need one per network ({len(offsets) - 1})")
    ckpt = None if checkpoint_dir is None else pathlib.Path(checkpoint_dir)
    lat0, en0 = cost_matrix(
        (table, offsets), _single_accelerator(space, proxy), arch_chunk=arch_chunk, pe_chunk=pe_chunk,
        checkpoint_dir=None if ckpt is None else ckpt / "proxy", progress=progress,
    )
    chosen = _native.proxy_pareto_set(acc, lat0[:, 0], en0[:, 0], max_set)
    rows = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in chosen])
    sizes = np.array([offsets[i + 1] - offsets[i] for i in chosen])
    sub = (table[rows], np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
    lat, en = cost_matrix(
        sub, space, arch_chunk=arch_chunk, pe_chunk=pe_chunk,
        checkpoint_dir=None if ckpt is None else ckpt / "hardware", progress=progress,
    )
    designs = []
    for l_bound, e_bound in constraints:
        ok = (lat <= l_bound) & (en <= e_bound)  # NaN (cannot run) compares False
        best = None
        for k, a in enumerate(chosen):
            hs = np.flatnonzero(ok[k])
            if len(hs) and (best is None or acc[a] > best["accuracy"]):
                best = {"arch": int(a), "accel": int(hs[0]), "accuracy": float(acc[a])}
        designs.append({"latency": l_bound, "energy": e_bound, "design": best})
    return {
        "set": [int(i) for i in chosen],
        "proxy_measurements": len(acc),
        "hardware_measurements": len(chosen) * len(space),
        "designs": designs,
    }


def _evaluate_chunk(objective: Callable[[str], Any], keys: list[str]) -> list[Any]:
    out = []
    for key in keys:
        try:
            out.append(objective(key))
        except Exception as e:
            raise ObjectiveError(f"objective raised {type(e).__name__} on architecture `{key}`: {e}") from e
    return out


def _batched(objective: Callable[[str], Any], chunk: int, max_retries: int) -> Callable[[list[str]], list[Any]]:
    if chunk < 1:
        raise _native.EdgeoptError(f"chunk = {chunk}: must be ≥ 1")
    ray = _ray()
    remote = ray.remote(max_retries=max_retries)(_evaluate_chunk)
    objective_ref = ray.put(objective)

    def batch(keys: list[str]) -> list[Any]:
        refs = [remote.remote(objective_ref, keys[i : i + chunk]) for i in range(0, len(keys), chunk)]
        return [v for part in ray.get(refs) for v in part]

    return batch


def evolution(space: _native.Space, objective: Callable[[str], Any], *, chunk: int = 8, max_retries: int = 3, **kwargs) -> dict:
    """:func:`edgeopt.evolution` whose evaluations run as Ray tasks of ``chunk`` keys each (same
    result for the same seed; ``objective`` must be picklable by Ray, e.g. a module-level function)."""
    return _native.evolution(space, _batched(objective, chunk, max_retries), batch=True, **kwargs)


def nsga2(space: _native.Space, objective: Callable[[str], Any], *, chunk: int = 8, max_retries: int = 3, **kwargs) -> dict:
    """:func:`edgeopt.nsga2` whose evaluations run as Ray tasks of ``chunk`` keys each."""
    return _native.nsga2(space, _batched(objective, chunk, max_retries), batch=True, **kwargs)

"""edgeopt.distributed on a local Ray runtime and on a two-node cluster started on loopback."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import edgeopt

ray = pytest.importorskip("ray")  # the [ray] extra; CI installs it
import edgeopt.distributed as dist  # noqa: E402


# Workers import this module's objectives by name, so they need the tests on their path.
TESTS = os.path.dirname(os.path.abspath(__file__))
RUNTIME_ENV = {"env_vars": {"PYTHONPATH": TESTS + os.pathsep + os.environ.get("PYTHONPATH", "")}}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", runtime_env=RUNTIME_ENV)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def study():
    space = edgeopt.Space("nb201")
    keys = space.sample(120, seed=7)
    nets = [space.layers(k) for k in keys]
    hw = edgeopt.HardwareSpace.grid([16, 32, 64, 256], [300, 900], [50, 350])
    return space, keys, nets, hw


def test_cost_matrix_is_bit_identical_to_one_process(local_ray, study):
    space, keys, nets, hw = study
    single = edgeopt.cost_matrix(nets, hw)
    stats = {}
    sharded = dist.cost_matrix(nets, hw, arch_chunk=50, pe_chunk=1, progress=False, stats=stats)
    assert stats == {"shards": 3 * 4 * 3, "computed": 36, "resumed": 0}
    for a, b in zip(single, sharded):
        assert a.tobytes() == b.tobytes()


def test_plan_covers_every_pair_once(study):
    _, _, nets, hw = study
    shards = dist.plan_shards(len(nets), hw, arch_chunk=50, pe_chunk=3)
    cover = np.zeros((len(nets), len(hw)), dtype=int)
    for s in shards:
        cover[slice(*s.rows), slice(*s.cols)] += 1
        sub = dist._sub_space(dist._space_spec(hw), s)
        assert [a.label for a in (sub[i] for i in range(len(sub)))] == hw.labels()[slice(*s.cols)]
    assert (cover == 1).all()


def test_bad_sweep_settings_are_named(study):
    _, _, nets, hw = study
    for kwargs, needle in [({"arch_chunk": 0}, "arch_chunk"), ({"pe_chunk": -1}, "pe_chunk")]:
        with pytest.raises(edgeopt.EdgeoptError, match=needle):
            dist.plan_shards(len(nets), hw, **kwargs)
    with pytest.raises(edgeopt.EdgeoptError, match="at least one network"):
        dist.plan_shards(0, hw)
    with pytest.raises(edgeopt.EdgeoptError, match="chunk"):
        dist.evolution(edgeopt.Space("nb201"), _objective, chunk=0)


def test_resume_recomputes_only_missing_shards(local_ray, study, tmp_path):
    space, keys, nets, hw = study
    first = dist.cost_matrix(nets, hw, arch_chunk=40, checkpoint_dir=tmp_path, progress=False)
    files = sorted(tmp_path.glob("shard-*.npy"))
    assert len(files) == 3 * 2 * 3
    for f in files[:4]:
        f.unlink()
    stats = {}
    again = dist.cost_matrix(nets, hw, arch_chunk=40, checkpoint_dir=tmp_path, progress=False, stats=stats)
    assert stats["computed"] == 4 and stats["resumed"] == len(files) - 4
    assert all(a.tobytes() == b.tobytes() for a, b in zip(first, again))
    # Larger-than-memory form: shards only, read back one by one.
    assert dist.cost_matrix(nets, hw, arch_chunk=40, checkpoint_dir=tmp_path, progress=False, assemble=False) is None
    for s in dist.plan_shards(len(nets), hw, arch_chunk=40):
        c, e = dist.load_shard(tmp_path, s)
        assert c.tobytes() == np.ascontiguousarray(first[0][slice(*s.rows), slice(*s.cols)]).tobytes()
    with pytest.raises(edgeopt.EdgeoptError, match="checkpoint_dir"):
        dist.cost_matrix(nets, hw, assemble=False)
    with pytest.raises(edgeopt.EdgeoptError, match="different sweep"):
        dist.cost_matrix(nets[:10], hw, arch_chunk=40, checkpoint_dir=tmp_path, progress=False)


def test_a_killed_worker_loses_no_shard(local_ray, study, tmp_path):
    space, keys, nets, hw = study
    single = edgeopt.cost_matrix(nets, hw)
    log = tmp_path / "pids"
    original = dist._cost_shard

    def logged_then_slow(*args):
        # Runs in a worker: note which process works on a shard, then take long enough that the
        # test can kill it mid-task.
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(0.1)
        return original(*args)

    killed = []

    def kill_a_busy_worker():
        deadline = time.time() + 60
        while time.time() < deadline:
            pids = log.read_text().split() if log.exists() else []
            if len(pids) >= 4:
                victim = int(pids[-1])
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                return
            time.sleep(0.01)

    dist._cost_shard = logged_then_slow
    watcher = threading.Thread(target=kill_a_busy_worker)
    watcher.start()
    try:
        stats = {}
        got = dist.cost_matrix(nets, hw, arch_chunk=10, pe_chunk=1, checkpoint_dir=tmp_path / "ckpt", progress=False, stats=stats)
    finally:
        watcher.join()
        dist._cost_shard = original
    assert killed, "no worker was killed"
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)
    assert stats["computed"] == stats["shards"] == len(list((tmp_path / "ckpt").glob("shard-*.npy")))
    assert all(a.tobytes() == b.tobytes() for a, b in zip(single, got))


def test_semi_decoupled_equals_the_lazy_two_stage(local_ray, study):
    space, keys, nets, hw = study
    acc = np.random.default_rng(0).uniform(60, 95, len(keys))
    lat, en = edgeopt.cost_matrix(nets, hw)
    constraints = [(float(np.quantile(lat.min(1), q)), float(np.quantile(en.min(1), q))) for q in (0.2, 0.6, 0.95)]
    got = dist.semi_decoupled(nets, acc, hw, constraints, proxy=3, max_set=15, arch_chunk=50, progress=False)
    want = edgeopt.two_stage(keys, list(acc), [hw[j] for j in range(len(hw))], constraints, proxy=3, max_set=15, space=space)
    assert got == want


def _objective(key):
    space = edgeopt.Space("nb201")
    return (float(np.log(space.params(key))), space.macs(key) / 1e6)


def _failing(key):
    if "avg_pool" in key:
        raise ValueError("predictor exploded")
    return _objective(key)


def test_searches_through_ray_equal_the_local_ones(local_ray):
    space = edgeopt.Space("nb201")
    local = edgeopt.evolution(space, _objective, population=16, generations=3, seed=2)
    remote = dist.evolution(space, _objective, population=16, generations=3, seed=2, chunk=5)
    assert remote == local
    multi = lambda k: [-_objective(k)[0], _objective(k)[1]]  # noqa: E731
    assert dist.nsga2(space, multi, population=12, generations=3, seed=4) == edgeopt.nsga2(
        space, multi, population=12, generations=3, seed=4
    )


def test_an_objective_raising_in_a_worker_names_the_architecture(local_ray):
    with pytest.raises(edgeopt.EdgeoptError, match=r"on architecture `\|[^`]*avg_pool[^`]*`") as info:
        dist.evolution(edgeopt.Space("nb201"), _failing, population=16, generations=2, seed=1)
    assert "predictor exploded" in str(info.value)


def _ray_cli():
    beside = os.path.join(os.path.dirname(sys.executable), "ray")
    return beside if os.path.exists(beside) else "ray"


@pytest.fixture()
def two_node_cluster(tmp_path):
    ray.shutdown()
    port = 6390 + os.getpid() % 500
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", PYTHONPATH=RUNTIME_ENV["env_vars"]["PYTHONPATH"])
    common = ["--num-cpus", "1", "--include-dashboard=false", "--disable-usage-stats"]
    subprocess.run([_ray_cli(), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port), *common], check=True, env=env, capture_output=True)
    try:
        subprocess.run(
            [_ray_cli(), "start", "--address", f"127.0.0.1:{port}", "--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--disable-usage-stats"],
            check=True,
            env=env,
            capture_output=True,
        )
        ray.init(address=f"127.0.0.1:{port}", logging_level="ERROR")
        yield ray
    finally:
        ray.shutdown()
        subprocess.run([_ray_cli(), "stop", "--force"], env=env, capture_output=True)


def test_two_node_cluster_gives_the_same_matrix(two_node_cluster, study):
    space, keys, nets, hw = study
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    single = edgeopt.cost_matrix(nets, hw)
    got = dist.cost_matrix(nets, hw, arch_chunk=30, pe_chunk=1, progress=False)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(single, got))

import csv
import io
import pickle

import numpy as np
import pytest

import edgeopt


def test_layer_constructors_and_fields():
    conv = edgeopt.Layer.conv("c", 64, 32, 3, 3, 58, 58, 1)
    assert (conv.kind, conv.k, conv.c, conv.r, conv.y, conv.stride_y) == ("CONV", 64, 32, 3, 58, 1)
    assert conv.macs == 64 * 32 * 9 * 56 * 56
    dw = edgeopt.Layer.depthwise("d", 32, 3, 3, 58, 58, 2)
    assert dw.kind == "DSCONV" and dw.macs == 32 * 9 * 28 * 28
    assert edgeopt.Layer.fc("f", 10, 128).macs == 1280
    assert edgeopt.Layer.gemm("g", 4, 5, 6).macs == 120
    same = edgeopt.Layer.conv_same("s", 8, 8, 3, 3, 32, 32, 1)
    assert same.y == 34
    grouped = edgeopt.Layer.grouped("g", 4, 64, 32, 3, 3, 10, 10)
    assert (grouped.kind, grouped.groups, grouped.k, grouped.c) == ("NGCONV", 4, 16, 8)
    generic = edgeopt.Layer("x", "TRCONV", k=8, c=8, r=3, s=3, y=9, x=9, stride=2, stride_x=1)
    assert (generic.stride_y, generic.stride_x) == (2, 1)


def test_layer_pickle_and_equality():
    layer = edgeopt.Layer("x", "CONV", k=8, c=4, r=3, s=3, y=9, x=11, stride=2, stride_x=1, batch=3)
    back = pickle.loads(pickle.dumps(layer))
    assert back == layer and hash(back) == hash(layer)
    assert "stride_x=1" in repr(layer)


@pytest.mark.parametrize(
    "make, needle",
    [
        (lambda: edgeopt.Layer.conv("bad", 0, 3, 3, 3, 8, 8, 1), "bad"),
        (lambda: edgeopt.Layer("x", "POOL"), "POOL"),
        (lambda: edgeopt.Layer.grouped("g", 3, 64, 32, 3, 3, 10, 10), "groups"),
        (lambda: edgeopt.Hardware(0, 600, 150), "num_pes"),
        (lambda: edgeopt.Accelerator(256, 600, 150, "weight-stationary"), "weight-stationary"),
        (lambda: edgeopt.Accelerator(256, 600), "hardware"),
        (lambda: edgeopt.HardwareSpace.grid([], [600], [150]), "pes"),
    ],
)
def test_bad_input_raises_value_error_naming_it(make, needle):
    with pytest.raises(ValueError, match=needle) as info:
        make()
    assert isinstance(info.value, edgeopt.EdgeoptError)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError) as info:
        edgeopt.read_layers(tmp_path / "nope.csv")
    assert isinstance(info.value, edgeopt.EdgeoptIOError)
    assert "nope.csv" in str(info.value)


def test_evaluate_totals_are_the_sum_of_layers(root):
    layers = edgeopt.read_layers(root / "data/networks/mobilenetv2.csv")
    cost = edgeopt.Accelerator(256, 600, 150, "kc-p").evaluate(layers)
    assert len(cost) == len(layers)
    assert cost.layer_cycles.dtype == np.uint64 and cost.layer_energy_nj.dtype == np.float64
    assert cost.layer_cycles.shape == (len(layers),)
    assert int(cost.layer_cycles.sum()) == cost.cycles
    assert cost.layer_macs.sum() == cost.macs == sum(layer.macs for layer in layers)
    assert cost.energy_nj == pytest.approx(cost.layer_energy_nj.sum(), rel=1e-12)
    d = cost.to_dict()
    assert d["cycles"] == cost.cycles and len(d["layers"]) == len(layers)


@pytest.mark.parametrize("dataflow", ["kc-p", "yr-p", "x-p"])
def test_mobilenetv2_cycles_equal_the_cli(root, cli, dataflow):
    path = root / "data/networks/mobilenetv2.csv"
    rows = list(
        csv.DictReader(
            io.StringIO(
                "\n".join(
                    cli("accel", "eval", "--layers", path, "--dataflow", dataflow, "--pes", 256, "--noc-bw", 600, "--offchip-bw", 150)
                )
            )
        )
    )
    cost = edgeopt.Accelerator(256, 600, 150, dataflow).evaluate(edgeopt.read_layers(path))
    total = rows[-1]
    assert total["name"] == "TOTAL"
    assert int(total["cycles"]) == cost.cycles
    assert float(total["energy_nj"]) == pytest.approx(cost.energy_nj, rel=1e-12)
    assert [int(r["cycles"]) for r in rows[:-1]] == cost.layer_cycles.tolist()


def test_maestro_and_onnx_readers(root):
    mapped = edgeopt.read_maestro(root / "fuzz/seeds/maestro_mapping/two_layers.m")
    assert [layer.name for layer in mapped] == ["conv3x3", "mm"]
    onnx = edgeopt.read_onnx(root / "crates/onnx/tests/fixtures/mobilenetv2.onnx")
    assert len(onnx) > 40 and all(layer.macs > 0 for layer in onnx)
    with pytest.raises(edgeopt.EdgeoptError):
        edgeopt.read_onnx(root / "crates/onnx/tests/fixtures/mobilenetv2.onnx", {"no_such_input": [1, 3, 224, 224]})


def test_hardware_space_indexing():
    space = edgeopt.HardwareSpace.thesis()
    assert len(space) == 1296 and len(edgeopt.HardwareSpace.calibration()) == 162
    first, last = space[0], space[-1]
    assert (first.hardware.pes, first.dataflow) == (16, "kc-p")
    assert last.label == space.labels()[-1]
    with pytest.raises(IndexError):
        space[1296]
    grid = edgeopt.HardwareSpace.grid([64, 128], [300], [50, 150], ["x-p"])
    assert len(grid) == 4 and grid.dataflows == ["x-p"]


def test_cost_matrix_matches_single_evaluations():
    nets = [
        [edgeopt.Layer.conv("a", 16, 16, 3, 3, 18, 18, 1)] * 2,
        [edgeopt.Layer.depthwise("b", 16, 3, 3, 18, 18, 1), edgeopt.Layer.fc("f", 10, 256)],
    ]
    space = edgeopt.HardwareSpace.calibration()
    cycles, energy = edgeopt.cost_matrix(nets, space)
    assert cycles.shape == energy.shape == (2, 162) and cycles.dtype == np.float64
    for i in (0, 1):
        for j in (0, 7, 161):
            c = space[j].evaluate(nets[i])
            assert cycles[i, j] == c.cycles and energy[i, j] == pytest.approx(c.energy_nj, rel=1e-12)
    with pytest.raises(edgeopt.EdgeoptError, match=r"networks\[0\]"):
        edgeopt.cost_matrix([[]], space)


def test_cost_matrix_marks_pairs_that_cannot_run_as_nan():
    # YR-P clusters PEs by the filter rows: a 21-row filter needs at least 21 PEs.
    wide = [edgeopt.Layer.conv("big", 8, 8, 21, 21, 40, 40, 1)]
    small = [edgeopt.Layer.conv("ok", 4, 4, 1, 1, 4, 4, 1)]
    space = edgeopt.HardwareSpace.grid([16, 32], [300], [50])
    cycles, energy = edgeopt.cost_matrix([small, wide], space)
    assert np.isfinite(cycles[0]).all()
    can_run = np.array([not (a.dataflow == "yr-p" and a.hardware.pes < 21) for a in (space[j] for j in range(len(space)))])
    np.testing.assert_array_equal(np.isfinite(cycles[1]), can_run)
    np.testing.assert_array_equal(np.isfinite(energy[1]), can_run)
    with pytest.raises(edgeopt.EdgeoptError, match="at least 21 PEs"):
        edgeopt.Accelerator(16, 300, 50, "yr-p").evaluate(wide)


def test_packed_networks_cost_the_same():
    space = edgeopt.Space("mbv3")
    nets = [space.layers(k) for k in space.sample(5, seed=2)]
    table, offsets = edgeopt.pack_networks(nets)
    assert table.dtype == np.uint64 and table.shape == (sum(map(len, nets)), len(edgeopt.packed_columns()))
    assert offsets.tolist() == np.cumsum([0] + [len(n) for n in nets]).tolist()
    grid = edgeopt.HardwareSpace.calibration()
    want = edgeopt.cost_matrix(nets, grid)
    got = edgeopt.cost_matrix_packed(table, offsets, grid)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(want, got))
    part = edgeopt.cost_matrix_packed(table, offsets, grid, 2, 4)
    assert part[0].tobytes() == want[0][2:4].tobytes()
    bad = table.copy()
    bad[0, 0] = 9
    with pytest.raises(edgeopt.EdgeoptError, match="kind"):
        edgeopt.cost_matrix_packed(bad, offsets, grid)
    with pytest.raises(edgeopt.EdgeoptError, match="0..5"):
        edgeopt.cost_matrix_packed(table, offsets, grid, 3, 9)


def test_networks_handle_costs_like_layer_lists():
    space = edgeopt.Space("nb201")
    keys = space.sample(20, seed=9)
    lists = [space.layers(k) for k in keys]
    held = edgeopt.Networks.lower(space, keys)
    assert len(held) == 20 and held.layers == sum(map(len, lists))
    assert held[3] == lists[3] and held[-1] == lists[-1]
    grid = edgeopt.HardwareSpace.calibration()
    want = edgeopt.cost_matrix(lists, grid)
    for got in (edgeopt.cost_matrix(held, grid), edgeopt.cost_matrix(edgeopt.Networks(lists), grid)):
        assert all(a.tobytes() == b.tobytes() for a, b in zip(want, got))
    assert edgeopt.pack_networks(held)[0].tobytes() == edgeopt.pack_networks(lists)[0].tobytes()
    with pytest.raises(edgeopt.EdgeoptError, match="not-a-key"):
        edgeopt.Networks.lower(space, ["not-a-key"])
    with pytest.raises(IndexError):
        held[20]


def test_mixture_sweep_equals_costing_each_part_on_its_accelerator():
    space = edgeopt.Space("nb201")
    nets = [space.layers(k) for k in space.sample(3, seed=4)]
    hw = edgeopt.Hardware(64, 300, 50)
    accs = [edgeopt.Accelerator(hardware=hw, dataflow=d) for d in ("kc-p", "yr-p", "x-p")]
    groups = 4
    mixtures = edgeopt.sample_mixtures(len(accs), 5, groups=groups, seed=1)
    assert mixtures.shape == (5, groups + 2) and mixtures.dtype == np.int64
    cycles, energy = edgeopt.cost_mixtures(nets, accs, mixtures, groups=groups)
    assert cycles.shape == energy.shape == (3, 5)
    for i, net in enumerate(nets):
        sizes = edgeopt.thesis_partition(len(net), groups)
        assert sum(sizes) == len(net) and len(sizes) == groups + 2
        for k, mix in enumerate(mixtures):
            start, want = 0, 0
            for size, a in zip(sizes, mix):
                if size:
                    want += accs[a].evaluate(net[start : start + size]).cycles
                start += size
            assert cycles[i, k] == want
    with pytest.raises(edgeopt.EdgeoptError, match="mixture 0"):
        edgeopt.cost_mixtures(nets, accs, np.array([[0, 1]]), groups=groups)
    with pytest.raises(edgeopt.EdgeoptError, match="≥ 0"):
        edgeopt.cost_mixtures(nets, accs, np.full((1, groups + 2), -1), groups=groups)


def test_area_of_the_45nm_model():
    small, big = edgeopt.Hardware(16, 300, 50), edgeopt.Hardware(512, 300, 50)
    assert 4.0 < edgeopt.area_mm2(small) < edgeopt.area_mm2(big) < 8.0

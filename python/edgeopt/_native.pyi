"""Type stubs of edgeopt's Rust extension module (re-exported by ``edgeopt``)."""

from collections.abc import Callable, Sequence
from os import PathLike
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

__version__: str

F64Array = npt.NDArray[np.float64]
U64Array = npt.NDArray[np.uint64]
StrPath = str | PathLike[str]

class EdgeoptError(ValueError):
    """Bad input or a failed computation; the message names the offending value."""

class EdgeoptIOError(OSError):
    """A file could not be read (``errno``, ``strerror`` and ``filename`` are set)."""

# ---------------------------------------------------------------- accelerator cost model

class Layer:
    """One DNN layer in MAESTRO's dimensions (``y``, ``x``: unpadded input rows and columns)."""

    def __init__(
        self,
        name: str,
        kind: str = "CONV",
        *,
        k: int = 1,
        c: int = 1,
        r: int = 1,
        s: int = 1,
        y: int = 1,
        x: int = 1,
        stride: int = 1,
        stride_x: int | None = None,
        groups: int = 1,
        batch: int = 1,
    ) -> None: ...
    @staticmethod
    def conv(name: str, k: int, c: int, r: int, s: int, y: int, x: int, stride: int = 1) -> Layer: ...
    @staticmethod
    def conv_same(name: str, k: int, c: int, r: int, s: int, h: int, w: int, stride: int = 1) -> Layer: ...
    @staticmethod
    def depthwise(name: str, c: int, r: int, s: int, y: int, x: int, stride: int = 1) -> Layer: ...
    @staticmethod
    def grouped(
        name: str, groups: int, out_channels: int, in_channels: int, r: int, s: int, y: int, x: int, stride: int = 1
    ) -> Layer: ...
    @staticmethod
    def fc(name: str, out_features: int, in_features: int) -> Layer: ...
    @staticmethod
    def gemm(name: str, m: int, n: int, k: int) -> Layer: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def k(self) -> int: ...
    @property
    def c(self) -> int: ...
    @property
    def r(self) -> int: ...
    @property
    def s(self) -> int: ...
    @property
    def y(self) -> int: ...
    @property
    def x(self) -> int: ...
    @property
    def stride_y(self) -> int: ...
    @property
    def stride_x(self) -> int: ...
    @property
    def groups(self) -> int: ...
    @property
    def batch(self) -> int: ...
    @property
    def macs(self) -> int: ...
    @property
    def weights(self) -> int: ...

class Hardware:
    def __init__(
        self,
        pes: int,
        noc_bw: int,
        offchip_bw: int,
        *,
        l1_bytes: int = 1024,
        l2_bytes: int = 1048576,
        noc_hops: int = 1,
        hop_latency: int = 1,
        vector_width: int = 1,
        element_bytes: int = 1,
    ) -> None: ...
    @staticmethod
    def from_maestro(path: StrPath) -> Hardware: ...
    @property
    def pes(self) -> int: ...
    @property
    def noc_bw(self) -> int: ...
    @property
    def offchip_bw(self) -> int: ...
    @property
    def l1_bytes(self) -> int: ...
    @property
    def l2_bytes(self) -> int: ...

class Cost:
    """A network's cost: totals and per-layer arrays."""

    @property
    def cycles(self) -> int: ...
    @property
    def energy_nj(self) -> float: ...
    @property
    def macs(self) -> int: ...
    @property
    def layer_names(self) -> list[str]: ...
    @property
    def layer_cycles(self) -> U64Array: ...
    @property
    def layer_energy_nj(self) -> F64Array: ...
    @property
    def layer_macs(self) -> U64Array: ...
    def __len__(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

class Accelerator:
    def __init__(
        self,
        pes: int | None = None,
        noc_bw: int | None = None,
        offchip_bw: int | None = None,
        dataflow: str = "kc-p",
        *,
        hardware: Hardware | None = None,
    ) -> None: ...
    def evaluate(self, layers: Sequence[Layer]) -> Cost: ...
    def evaluate_layer(self, layer: Layer) -> tuple[int, float]: ...
    @property
    def hardware(self) -> Hardware: ...
    @property
    def dataflow(self) -> str: ...
    @property
    def label(self) -> str: ...

class HardwareSpace:
    @staticmethod
    def thesis() -> HardwareSpace: ...
    @staticmethod
    def calibration() -> HardwareSpace: ...
    @staticmethod
    def grid(
        pes: Sequence[int], noc_bw: Sequence[int], offchip_bw: Sequence[int], dataflows: Sequence[str] = ...
    ) -> HardwareSpace: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> Accelerator: ...
    def labels(self) -> list[str]: ...
    @property
    def pes(self) -> list[int]: ...
    @property
    def noc_bw(self) -> list[int]: ...
    @property
    def offchip_bw(self) -> list[int]: ...
    @property
    def dataflows(self) -> list[str]: ...

class Networks:
    """Networks held in Rust: build once, cost on many grids without per-call conversion."""

    def __init__(self, networks: Sequence[Sequence[Layer]]) -> None: ...
    @staticmethod
    def lower(space: Space, keys: Sequence[str]) -> Networks: ...
    def __len__(self) -> int: ...
    def __getitem__(self, i: int) -> list[Layer]: ...
    @property
    def layers(self) -> int: ...

def cost_matrix(networks: Networks | Sequence[Sequence[Layer]], space: HardwareSpace) -> tuple[F64Array, F64Array]:
    """(cycles, energy_nj), each (networks × accelerators); NaN where a layer cannot run."""

def thesis_partition(layers: int, groups: int = 20) -> list[int]:
    """Part sizes of the thesis's split: first layer, ``groups`` even middle groups, last layer."""

def sample_mixtures(accelerators: int, count: int, *, groups: int = 20, seed: int = 0) -> npt.NDArray[np.int64]:
    """(count, groups + 2) accelerator indices, each drawn uniformly below ``accelerators``."""

def cost_mixtures(
    networks: Networks | Sequence[Sequence[Layer]],
    accelerators: Sequence[Accelerator],
    mixtures: npt.NDArray[np.int64],
    *,
    groups: int = 20,
) -> tuple[F64Array, F64Array]:
    """(cycles, energy_nj), each (networks × mixtures); NaN where a part's accelerator cannot run a layer."""

def area_mm2(hardware: Hardware) -> float:
    """Silicon area in mm² under the published-45-nm area model."""

def pack_networks(networks: Networks | Sequence[Sequence[Layer]]) -> tuple[U64Array, npt.NDArray[np.int64]]:
    """(table, offsets): network i is rows offsets[i]:offsets[i+1] of the (layers, 11) table."""

def packed_columns() -> list[str]: ...
def cost_matrix_packed(
    table: U64Array, offsets: npt.NDArray[np.int64], space: HardwareSpace, start: int = 0, stop: int | None = None
) -> tuple[F64Array, F64Array]: ...
def read_layers(path: StrPath) -> list[Layer]: ...
def read_maestro(path: StrPath) -> list[Layer]: ...
def read_onnx(path: StrPath, input_shapes: dict[str, Sequence[int]] | Sequence[int] | None = None) -> list[Layer]: ...

# ---------------------------------------------------------------- search spaces and searches

class Space:
    def __init__(self, name: str) -> None: ...
    @staticmethod
    def names() -> list[tuple[str, str]]: ...
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> float: ...
    @property
    def encoding_len(self) -> int: ...
    def sample(self, n: int, seed: int = 0) -> list[str]: ...
    def canonical(self, key: str) -> str: ...
    def mutate(self, key: str, seed: int = 0, prob: float = 0.1) -> str: ...
    def crossover(self, a: str, b: str, seed: int = 0) -> str: ...
    def layers(self, key: str) -> list[Layer]: ...
    def macs(self, key: str) -> int: ...
    def params(self, key: str) -> int: ...
    def encode(self, key: str | Sequence[str]) -> F64Array: ...
    def enumerate(self) -> list[str]: ...
    def smallest(self) -> str | None: ...
    def largest(self) -> str | None: ...

EvolutionValue = tuple[float, float] | tuple[float, float, float] | dict[str, float]

class EvolutionResult(TypedDict):
    best: str | None
    population: list[str]
    values: list[list[float]]
    evaluations: int
    generations: int

class Nsga2Result(TypedDict):
    front: list[str]
    values: list[list[float]]
    evaluations: int
    generations: int

def evolution(
    space: Space,
    objective_fn: Callable[[str], EvolutionValue] | Callable[[list[str]], list[EvolutionValue]],
    *,
    population: int = 100,
    generations: int = 20,
    parent_ratio: float = 0.25,
    mutation_ratio: float = 0.25,
    mutation_prob: float = 0.1,
    max_latency: float | None = None,
    max_energy: float | None = None,
    t: float | None = None,
    seed: int = 0,
    batch: bool = False,
) -> EvolutionResult: ...
def nsga2(
    space: Space,
    objective_fn: Callable[[str], Sequence[float]] | Callable[[list[str]], list[Sequence[float]]],
    *,
    population: int = 100,
    generations: int = 50,
    mutation_prob: float = 0.1,
    seed: int = 0,
    batch: bool = False,
) -> Nsga2Result: ...

# ---------------------------------------------------------------- predictors

class Predictor:
    def predict(self, x: F64Array) -> Any:
        """One value per row of a 2-D array (an array), or one float for a 1-D feature vector."""
    def adapt(
        self,
        x_train: F64Array,
        y_train: F64Array,
        x_val: F64Array,
        y_val: F64Array,
        *,
        lambda_steps: int = 30,
        lambda_range: float = 1e5,
    ) -> Predictor: ...
    @property
    def kind(self) -> str: ...
    @property
    def n_features(self) -> int: ...
    @property
    def weights(self) -> F64Array: ...

def fit_linear(x: F64Array, y: F64Array, *, ridge: float = 1e-8) -> Predictor: ...
def fit_kernel_ridge(
    x: F64Array, y: F64Array, *, kernel: str = "rbf", gamma: float = 1.0, alpha: float = 1e-3
) -> Predictor: ...
def fit_mlp(
    x: F64Array,
    y: F64Array,
    *,
    hidden: Sequence[int] = ...,
    epochs: int = 300,
    lr: float = 1e-3,
    batch_size: int | None = 32,
    seed: int = 0,
) -> Predictor: ...
def fit_gcn(
    adjacency: F64Array,
    features: F64Array,
    y: F64Array,
    *,
    hidden: Sequence[int] = ...,
    epochs: int = 60,
    lr: float = 3e-3,
    seed: int = 0,
) -> Predictor: ...
def flatten_graphs(adjacency: F64Array, features: F64Array) -> F64Array: ...
def spearman(a: F64Array, b: F64Array) -> float: ...
def kendall(a: F64Array, b: F64Array) -> float: ...
def srcc_matrix(m: F64Array) -> F64Array: ...
def nb201_table() -> dict[str, Any]:
    """The embedded NAS-Bench-201 × HW-NAS-Bench table: float64 columns, ``arch_str`` as strings."""

# ---------------------------------------------------------------- co-design

Measurement = float | tuple[float, float] | dict[str, float]

def semi_decoupled(
    accuracy: F64Array,
    latency: F64Array,
    energy: F64Array,
    *,
    admissible: Sequence[bool] | None = None,
    proxy: int = 0,
    max_set: int = 10,
    constraints: Sequence[tuple[float, float]] | None = None,
    k_latency: int = 3,
    k_energy: int = 3,
) -> dict[str, Any]: ...
def two_stage(
    candidates: list[Any],
    accuracy: Sequence[float],
    devices: Sequence[Callable[[Any], Measurement] | Accelerator],
    constraints: Sequence[tuple[float, float]],
    *,
    admissible: Sequence[bool] | None = None,
    proxy: int = 0,
    max_set: int = 10,
    space: Space | None = None,
) -> dict[str, Any]: ...
def proxy_pareto_set(accuracy: F64Array, latency: F64Array, energy: F64Array, max_set: int) -> list[int]: ...
def bisection(
    accuracy: Sequence[float],
    proxy_latency: Sequence[float],
    target: Callable[[int], Measurement] | Sequence[float],
    constraint: float,
    *,
    delta: float = 0.0,
    granularity: float = 1.0 / 64.0,
) -> dict[str, Any]: ...
def one_proxy(
    space: Space,
    candidates: Sequence[str],
    accuracy: Sequence[float],
    proxy: Predictor,
    target: Callable[[str], Measurement],
    *,
    samples: int = 40,
    threshold: float = 0.9,
    extra_step: int = 10,
    max_extra: int = 20,
    select: str = "random",
    seed: int = 0,
    max_measurements: int | None = None,
) -> dict[str, Any]: ...

# ---------------------------------------------------------------- bandits

class Bandit:
    """An online model-selection policy with delayed feedback; picklable."""

    def select(self, contexts: F64Array, *, round: int | None = None) -> tuple[int, int]:
        """(ticket, arm) for the rows of ``contexts`` (arms × d)."""
    def select_with_details(self, contexts: F64Array, *, round: int | None = None) -> dict[str, Any]: ...
    def feedback(self, ticket: int, reward: float) -> None: ...
    def expire(self, before: int) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def round(self) -> int: ...

def NeuralUCB(
    d: int,
    *,
    width: int = 100,
    lambda_: float = 1e-3,
    gamma: float = 0.1,
    lr: float = 0.01,
    retrain_every: int = 100,
    retrain_steps: int = 100,
    confidence: str = "diagonal",
    z_on_arrival: bool = False,
    depth: int = 2,
    seed: int = 0,
) -> Bandit: ...
def NeuralTS(
    d: int,
    *,
    width: int = 100,
    lambda_: float = 1e-3,
    gamma: float = 0.1,
    lr: float = 0.01,
    retrain_every: int = 100,
    retrain_steps: int = 100,
    confidence: str = "diagonal",
    z_on_arrival: bool = False,
    depth: int = 2,
    seed: int = 0,
) -> Bandit: ...
def NeuralEpsilonGreedy(
    d: int,
    epsilon: float = 0.1,
    *,
    width: int = 100,
    lambda_: float = 1e-3,
    lr: float = 0.01,
    retrain_every: int = 100,
    retrain_steps: int = 100,
    depth: int = 2,
    seed: int = 0,
) -> Bandit: ...
def LinUCB(d: int, *, lambda_: float = 1.0, alpha: float = 0.1, seed: int = 0) -> Bandit: ...
def RandomPolicy(*, seed: int = 0) -> Bandit: ...

class SimulationResult(TypedDict):
    regret: float
    mean_reward: float
    hit_ratio: float
    cumulative_regret: F64Array
    reward: F64Array
    arm: U64Array

def simulate_classification(
    policy: Bandit,
    features: F64Array,
    labels: npt.NDArray[np.int64],
    rounds: int,
    *,
    max_delay: int = 0,
    loss: float = 0.0,
    seed: int = 0,
) -> SimulationResult: ...
def simulate_synthetic(
    policy: Bandit,
    reward: str,
    arms: int,
    d: int,
    rounds: int,
    *,
    noise: float = 0.1,
    max_delay: int = 0,
    loss: float = 0.0,
    seed: int = 0,
) -> SimulationResult: ...
def simulate_devices(
    policy: Bandit,
    rounds: int,
    *,
    arms: int = 10,
    noise: float = 0.05,
    max_delay: int = 0,
    loss: float = 0.0,
    seed: int = 0,
) -> SimulationResult: ...
def devices_context_len() -> int: ...

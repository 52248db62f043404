"""edgeopt: hardware-aware NAS, accelerator co-design and online model selection for edge devices.

The computations run in edgeopt's Rust libraries (``edgeopt._native``); this package re-exports
them. Arrays go in and come out as numpy float64 (counts as uint64); results of the workflows
are plain dicts, the same JSON the ``edgeopt`` command line prints.

Errors are ``EdgeoptError`` (a ``ValueError``) for bad input, naming the offending value, and
``EdgeoptIOError`` (an ``OSError``) for files that cannot be read. An exception raised by your
own callable (an objective, a device) is chained as the ``__cause__``.

>>> import edgeopt
>>> acc = edgeopt.Accelerator(256, 600, 150, "kc-p")
>>> cost = acc.evaluate([edgeopt.Layer.conv("c1", 64, 3, 3, 3, 226, 226, 2)])
>>> cost.macs
21676032
"""

from edgeopt._native import (
    Accelerator,
    Bandit,
    Cost,
    EdgeoptError,
    EdgeoptIOError,
    Hardware,
    HardwareSpace,
    Layer,
    Networks,
    LinUCB,
    NeuralEpsilonGreedy,
    NeuralTS,
    NeuralUCB,
    Predictor,
    RandomPolicy,
    Space,
    __version__,
    bisection,
    cost_matrix,
    evolution,
    fit_gcn,
    fit_kernel_ridge,
    fit_linear,
    fit_mlp,
    flatten_graphs,
    kendall,
    nb201_table,
    proxy_pareto_set,
    packed_columns,
    cost_matrix_packed,
    pack_networks,
    nsga2,
    one_proxy,
    read_layers,
    read_maestro,
    read_onnx,
    semi_decoupled,
    simulate_classification,
    simulate_synthetic,
    devices_context_len,
    simulate_devices,
    spearman,
    srcc_matrix,
    two_stage,
)

__all__ = [
    "Accelerator",
    "Bandit",
    "Cost",
    "EdgeoptError",
    "EdgeoptIOError",
    "Hardware",
    "HardwareSpace",
    "Layer",
    "Networks",
    "LinUCB",
    "NeuralEpsilonGreedy",
    "NeuralTS",
    "NeuralUCB",
    "Predictor",
    "RandomPolicy",
    "Space",
    "__version__",
    "bisection",
    "cost_matrix",
    "evolution",
    "fit_gcn",
    "fit_kernel_ridge",
    "fit_linear",
    "fit_mlp",
    "flatten_graphs",
    "kendall",
    "nb201_table",
    "proxy_pareto_set",
    "packed_columns",
    "cost_matrix_packed",
    "pack_networks",
    "nsga2",
    "one_proxy",
    "read_layers",
    "read_maestro",
    "read_onnx",
    "semi_decoupled",
    "simulate_classification",
    "simulate_synthetic",
    "devices_context_len",
    "simulate_devices",
    "spearman",
    "srcc_matrix",
    "two_stage",
]

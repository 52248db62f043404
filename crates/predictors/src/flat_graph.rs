//! Graphs as flat feature vectors, so the GCN predictor serves wherever a [`LatencyPredictor`]
//! over feature vectors is expected (one-proxy NAS, AdaProxy adaptation of its head).
//!
//! Layout for `n` nodes with `f` features each: the `n × n` adjacency row by row, then the
//! `n × f` node features row by row (`n² + n·f` values).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::adaproxy::{AdaProxy, AdaptedPredictor};
use crate::error::{PredictorError, Result, check_len};
use crate::gcn::{GcnPredictor, Graph};
use crate::{AdaptablePredictor, LatencyPredictor};

impl Graph {
    /// The flat layout of this module: adjacency then node features, row by row.
    pub fn flatten(&self) -> Array1<f64> {
        self.adjacency.iter().chain(self.features.iter()).copied().collect()
    }

    /// Read the flat layout back for `nodes` nodes (the feature width follows from the length).
    pub fn from_flat(x: ArrayView1<f64>, nodes: usize) -> Result<Graph> {
        let n2 = nodes.checked_mul(nodes).filter(|&n2| nodes > 0 && n2 <= x.len());
        let Some(n2) = n2 else {
            return Err(PredictorError::DimensionMismatch {
                what: "flattened graph",
                expected: nodes.saturating_mul(nodes),
                got: x.len(),
            });
        };
        let rest = x.len() - n2;
        if !rest.is_multiple_of(nodes) {
            return Err(PredictorError::DimensionMismatch {
                what: "flattened graph (n² + n·f values)",
                expected: n2 + (rest / nodes) * nodes,
                got: x.len(),
            });
        }
        let f = rest / nodes;
        let v: Vec<f64> = x.to_vec();
        let adjacency = Array2::from_shape_vec((nodes, nodes), v[..n2].to_vec()).map_err(shape)?;
        let features = Array2::from_shape_vec((nodes, f), v[n2..].to_vec()).map_err(shape)?;
        Ok(Graph { adjacency, features })
    }
}

fn shape(source: ndarray::ShapeError) -> PredictorError {
    PredictorError::Shape { what: "flattened graph", source }
}

/// A [`GcnPredictor`] reading graphs of a fixed node count in the flat layout.
///
/// ```
/// use edgeopt_predictors::{FlatGraphGcn, GcnRegressor, Graph, LatencyPredictor};
/// use edgeopt_predictors::ndarray::{Array1, Array2};
/// // Two-node graphs whose latency is the op index of the second node.
/// let graph = |op: usize| Graph {
///     adjacency: Array2::from_shape_vec((2, 2), vec![0.0, 1.0, 0.0, 0.0]).unwrap(),
///     features: Array2::from_shape_fn((2, 3), |(i, j)| if i == 1 && j == op || i == 0 && j == 0 { 1.0 } else { 0.0 }),
/// };
/// let graphs: Vec<Graph> = (0..30).map(|i| graph(i % 3)).collect();
/// let y = Array1::from_iter((0..30).map(|i| (i % 3) as f64));
/// let gcn = GcnRegressor { epochs: 200, ..Default::default() }.fit(&graphs, y.view()).unwrap();
/// let flat = FlatGraphGcn::new(gcn, 2, 3);
/// assert_eq!(flat.n_features(), 2 * 2 + 2 * 3);
/// let p = flat.predict(graph(2).flatten().view()).unwrap();
/// assert!((p - 2.0).abs() < 0.5, "{p}");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatGraphGcn {
    /// The graph predictor.
    pub gcn: GcnPredictor,
    /// Nodes per graph.
    pub nodes: usize,
    /// Features per node.
    pub node_features: usize,
}

impl FlatGraphGcn {
    /// Read `nodes`-node graphs with `node_features` features per node.
    pub fn new(gcn: GcnPredictor, nodes: usize, node_features: usize) -> FlatGraphGcn {
        FlatGraphGcn { gcn, nodes, node_features }
    }

    fn graph(&self, x: ArrayView1<f64>) -> Result<Graph> {
        check_len("flattened graph", self.n_features(), x.len())?;
        Graph::from_flat(x, self.nodes)
    }

    fn features(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        let rows = x.rows().into_iter().map(|r| self.gcn.features(&self.graph(r)?)).collect::<Result<Vec<_>>>()?;
        let p = rows.first().map_or(0, Array1::len);
        Ok(Array2::from_shape_fn((rows.len(), p), |(i, j)| rows[i][j]))
    }
}

impl LatencyPredictor for FlatGraphGcn {
    fn n_features(&self) -> usize {
        self.nodes * self.nodes + self.nodes * self.node_features
    }
    fn predict(&self, x: ArrayView1<f64>) -> Result<f64> {
        self.gcn.predict_graph(&self.graph(x)?)
    }
}

/// A [`FlatGraphGcn`] whose head was adapted to a new device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatGraphGcnAdapted {
    /// The proxy's predictor (unchanged).
    pub base: FlatGraphGcn,
    /// The adapted head over the readout features.
    pub head: AdaptedPredictor,
}

impl LatencyPredictor for FlatGraphGcnAdapted {
    fn n_features(&self) -> usize {
        self.base.n_features()
    }
    fn predict(&self, x: ArrayView1<f64>) -> Result<f64> {
        self.head.predict(self.base.gcn.features(&self.base.graph(x)?)?.view())
    }
}

impl AdaptablePredictor for FlatGraphGcn {
    type Adapted = FlatGraphGcnAdapted;
    fn adapt(
        &self,
        ada: &AdaProxy,
        x_train: ArrayView2<f64>,
        y_train: ArrayView1<f64>,
        x_val: ArrayView2<f64>,
        y_val: ArrayView1<f64>,
    ) -> Result<FlatGraphGcnAdapted> {
        let (ft, fv) = (self.features(x_train)?, self.features(x_val)?);
        let head = ada.fit(self.gcn.head_weights().view(), ft.view(), y_train, fv.view(), y_val)?;
        Ok(FlatGraphGcnAdapted { base: self.clone(), head })
    }
}

//! Dataflows as MAESTRO directive lists, and the built-in templates.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A loop dimension a directive can name. `YOut`/`XOut` are MAESTRO's `Y'`/`X'` (output rows/cols).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Dim {
    /// Groups (NGCONV). Never iterated: MAESTRO unrolls it fully.
    G,
    /// Output channels.
    K,
    /// Input channels.
    C,
    /// Filter rows.
    R,
    /// Filter columns.
    S,
    /// Input rows.
    Y,
    /// Input columns.
    X,
    /// Output rows (`Y'`).
    YOut,
    /// Output columns (`X'`).
    XOut,
}

impl Dim {
    /// All dimensions, in table order.
    pub const ALL: [Dim; 9] = [Dim::G, Dim::K, Dim::C, Dim::R, Dim::S, Dim::Y, Dim::X, Dim::YOut, Dim::XOut];

    /// Position in per-dimension tables.
    pub(crate) fn idx(self) -> usize {
        self as usize
    }

    /// Parse MAESTRO's spelling: `K C R S Y X Y' X' G` (also `N`/`M` are not accepted).
    pub fn parse(s: &str) -> Option<Dim> {
        Some(match s {
            "G" => Dim::G,
            "K" => Dim::K,
            "C" => Dim::C,
            "R" => Dim::R,
            "S" => Dim::S,
            "Y" => Dim::Y,
            "X" => Dim::X,
            "Y'" => Dim::YOut,
            "X'" => Dim::XOut,
            _ => return None,
        })
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dim::G => "G",
            Dim::K => "K",
            Dim::C => "C",
            Dim::R => "R",
            Dim::S => "S",
            Dim::Y => "Y",
            Dim::X => "X",
            Dim::YOut => "Y'",
            Dim::XOut => "X'",
        })
    }
}

/// A directive size or offset: a number, or `Sz(D)`, the layer's full size of dimension `D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Extent {
    /// A literal.
    Fixed(u64),
    /// `Sz(D)`.
    Full(Dim),
}

impl fmt::Display for Extent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Extent::Fixed(v) => write!(f, "{v}"),
            Extent::Full(d) => write!(f, "Sz({d})"),
        }
    }
}

/// One MAESTRO directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Directive {
    /// `SpatialMap(size, offset) dim`: the dimension is split across sub-clusters.
    Spatial {
        /// Dimension.
        dim: Dim,
        /// Tile size.
        size: Extent,
        /// Step between consecutive tiles.
        offset: Extent,
    },
    /// `TemporalMap(size, offset) dim`: the dimension is iterated over time.
    Temporal {
        /// Dimension.
        dim: Dim,
        /// Tile size.
        size: Extent,
        /// Step between consecutive tiles.
        offset: Extent,
    },
    /// `Cluster(n)`: the directives after it run inside groups of `n` PEs.
    Cluster(Extent),
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Directive::Spatial { dim, size, offset } => {
                write!(f, "SpatialMap({size},{offset}) {dim};")
            }
            Directive::Temporal { dim, size, offset } => {
                write!(f, "TemporalMap({size},{offset}) {dim};")
            }
            Directive::Cluster(n) => write!(f, "Cluster({n},P);"),
        }
    }
}

/// A directive list, outermost first.
///
/// ```
/// use edgeopt_accel_sim::{Dataflow, Mapping};
/// let m: Mapping = Dataflow::XP.mapping_for(64, false);
/// assert_eq!(m.directives().len(), 6);
/// assert!(m.to_string().contains("SpatialMap(Sz(S),1) X;"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mapping(pub Vec<Directive>);

impl Mapping {
    /// The directives, outermost first.
    pub fn directives(&self) -> &[Directive] {
        &self.0
    }
}

impl fmt::Display for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Which dataflow an accelerator runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dataflow {
    /// KC-P, NVDLA-like weight stationary: K across clusters, a C tile of `min(64, PEs)` inside.
    KcP,
    /// YR-P, Eyeriss row stationary: output rows across clusters of `R` PEs.
    YrP,
    /// X-P weight stationary: input columns across all PEs.
    XP,
    /// A user mapping applied to every non-depthwise layer.
    Custom(Mapping),
}

use Directive::{Cluster, Spatial, Temporal};
use Extent::{Fixed, Full};

fn t(dim: Dim, size: Extent, offset: Extent) -> Directive {
    Temporal { dim, size, offset }
}
fn s(dim: Dim, size: Extent, offset: Extent) -> Directive {
    Spatial { dim, size, offset }
}

impl Dataflow {
    /// The three built-in templates, in the order KC-P, YR-P, X-P.
    pub const BUILT_IN: [Dataflow; 3] = [Dataflow::KcP, Dataflow::YrP, Dataflow::XP];

    /// Parse `kc-p`, `yr-p`, `x-p` (also MAESTRO's file names `kcp_ws`, `rs`, `xp_ws`).
    pub fn parse(name: &str) -> Option<Dataflow> {
        match name.trim().to_ascii_lowercase().as_str() {
            "kc-p" | "kcp" | "kcp_ws" | "nvdla" => Some(Dataflow::KcP),
            "yr-p" | "yrp" | "rs" | "eyeriss" => Some(Dataflow::YrP),
            "x-p" | "xp" | "xp_ws" => Some(Dataflow::XP),
            _ => None,
        }
    }

    /// Short name: `kc-p`, `yr-p`, `x-p` or `custom`.
    pub fn name(&self) -> &'static str {
        match self {
            Dataflow::KcP => "kc-p",
            Dataflow::YrP => "yr-p",
            Dataflow::XP => "x-p",
            Dataflow::Custom(_) => "custom",
        }
    }

    /// The directive list this dataflow applies to a layer on `num_pes` PEs. Depthwise layers get
    /// the depthwise template under every built-in dataflow, as in MAESTRO's model zoo.
    pub fn mapping_for(&self, num_pes: u64, depthwise: bool) -> Mapping {
        use Dim::*;
        if depthwise && !matches!(self, Dataflow::Custom(_)) {
            return depthwise_template();
        }
        let v = match self {
            Dataflow::KcP => {
                let tile = num_pes.clamp(1, 64);
                vec![
                    s(K, Fixed(1), Fixed(1)),
                    t(C, Fixed(tile), Fixed(tile)),
                    t(R, Full(R), Full(R)),
                    t(S, Full(S), Full(S)),
                    t(Y, Full(R), Fixed(1)),
                    t(X, Full(S), Fixed(1)),
                    Cluster(Fixed(tile)),
                    s(C, Fixed(1), Fixed(1)),
                    t(Y, Full(R), Fixed(1)),
                    t(X, Full(S), Fixed(1)),
                    t(R, Full(R), Full(R)),
                    t(S, Full(S), Full(S)),
                ]
            }
            Dataflow::YrP => vec![
                s(YOut, Fixed(1), Fixed(1)),
                t(XOut, Fixed(1), Fixed(1)),
                t(C, Fixed(1), Fixed(1)),
                t(K, Fixed(16), Fixed(16)),
                t(R, Full(R), Full(R)),
                t(S, Full(S), Full(S)),
                Cluster(Full(R)),
                s(Y, Fixed(1), Fixed(1)),
                s(R, Fixed(1), Fixed(1)),
                t(S, Full(S), Full(S)),
            ],
            Dataflow::XP => vec![
                t(K, Fixed(1), Fixed(1)),
                t(C, Fixed(1), Fixed(1)),
                t(Y, Full(R), Fixed(1)),
                s(X, Full(S), Fixed(1)),
                t(R, Full(R), Full(R)),
                t(S, Full(S), Full(S)),
            ],
            Dataflow::Custom(m) => return m.clone(),
        };
        Mapping(v)
    }
}

/// MAESTRO's `dpt` template, used for every depthwise layer under the built-in dataflows.
pub fn depthwise_template() -> Mapping {
    use Dim::*;
    Mapping(vec![
        s(C, Fixed(1), Fixed(1)),
        t(Y, Full(R), Fixed(1)),
        t(X, Full(S), Fixed(1)),
        t(R, Full(R), Full(R)),
        t(S, Full(S), Full(S)),
    ])
}

impl fmt::Display for Dataflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

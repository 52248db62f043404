//! Shapes for graph inputs whose declared shape has dynamic dimensions.

use crate::error::{OnnxError, Result};

/// Concrete shapes for graph inputs: `1,3,224,224` (the model's first input) or
/// `name=1,3,224,224` (the input called `name`). A given shape must have the declared rank and
/// agree with every fixed declared dimension.
///
/// ```
/// use edgeopt_onnx::InputShapes;
/// let mut shapes = InputShapes::default();
/// shapes.add("1,3,224,224").unwrap();
/// shapes.add("mask=1,128").unwrap();
/// assert_eq!(shapes.get("images", true), Some(&[1, 3, 224, 224][..]));
/// assert_eq!(shapes.get("mask", false), Some(&[1, 128][..]));
/// assert!(shapes.add("x=1,0,3").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputShapes {
    first: Option<Vec<u64>>,
    named: Vec<(String, Vec<u64>)>,
}

impl InputShapes {
    /// Shapes from `--input-shape` arguments (each `dims` or `name=dims`).
    pub fn parse_all<S: AsRef<str>>(specs: &[S]) -> Result<InputShapes> {
        let mut shapes = InputShapes::default();
        for s in specs {
            shapes.add(s.as_ref())?;
        }
        Ok(shapes)
    }

    /// Add one specification, `1,3,224,224` or `name=1,3,224,224`.
    pub fn add(&mut self, spec: &str) -> Result<()> {
        let bad = |reason: String| OnnxError::InputShape { spec: spec.to_string(), reason };
        let (name, dims) = match spec.split_once('=') {
            Some((n, d)) => (Some(n.trim()), d),
            None => (None, spec),
        };
        let dims = dims
            .split(',')
            .map(|d| {
                let d = d.trim();
                match d.parse::<u64>() {
                    Ok(0) => Err(bad("a dimension is 0; every dimension must be at least 1".into())),
                    Ok(v) => Ok(v),
                    Err(_) => Err(bad(format!("`{d}` is not a positive integer (expected e.g. 1,3,224,224)"))),
                }
            })
            .collect::<Result<Vec<u64>>>()?;
        match name {
            Some("") => return Err(bad("the input name before `=` is empty".into())),
            Some(n) => {
                if self.named.iter().any(|(m, _)| m == n) {
                    return Err(bad(format!("input `{n}` is given twice")));
                }
                self.named.push((n.to_string(), dims));
            }
            None => {
                if self.first.is_some() {
                    return Err(bad("two unnamed shapes; name them as input=dims".into()));
                }
                self.first = Some(dims);
            }
        }
        Ok(())
    }

    /// Set the shape of the input called `name`.
    pub fn with(mut self, name: &str, dims: &[u64]) -> InputShapes {
        self.named.retain(|(n, _)| n != name);
        self.named.push((name.to_string(), dims.to_vec()));
        self
    }

    /// The shape given for an input: by name, or the unnamed one if `first` (the model's first input).
    pub fn get(&self, name: &str, first: bool) -> Option<&[u64]> {
        self.named.iter().find(|(n, _)| n == name).map(|(_, d)| d.as_slice()).or(if first {
            self.first.as_deref()
        } else {
            None
        })
    }

    /// Names given that are not among `inputs` (a typo the user should hear about).
    pub(crate) fn unknown_names<'a>(&'a self, inputs: &[&str]) -> Vec<&'a str> {
        self.named.iter().map(|(n, _)| n.as_str()).filter(|n| !inputs.contains(n)).collect()
    }

    /// Whether no shape was given.
    pub fn is_empty(&self) -> bool {
        self.first.is_none() && self.named.is_empty()
    }
}

/// A declared input dimension: a fixed size, or dynamic with its symbolic name (`?` if none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeclaredDim {
    Fixed(u64),
    Dynamic(String),
}

/// Resolve a graph input's shape from its declaration (`None`: no shape declared) and the given shape.
pub(crate) fn resolve(name: &str, declared: Option<&[DeclaredDim]>, given: Option<&[u64]>) -> Result<Vec<u64>> {
    let joined = |dims: &mut dyn Iterator<Item = u64>| dims.map(|d| d.to_string()).collect::<Vec<_>>().join(",");
    match (declared, given) {
        (Some(decl), Some(g)) => {
            let bad = |reason: String| OnnxError::InputShape {
                spec: format!("{name}={}", joined(&mut g.iter().copied())),
                reason,
            };
            if decl.len() != g.len() {
                return Err(bad(format!(
                    "input `{name}` has rank {}, the shape given has {} dimensions",
                    decl.len(),
                    g.len()
                )));
            }
            for (i, (d, v)) in decl.iter().zip(g).enumerate() {
                if let DeclaredDim::Fixed(d) = d
                    && d != v
                {
                    return Err(bad(format!("dimension {i} of input `{name}` is fixed to {d} by the model, not {v}")));
                }
            }
            Ok(g.to_vec())
        }
        (None, Some(g)) => Ok(g.to_vec()),
        (Some(decl), None) => {
            if let Some((index, DeclaredDim::Dynamic(dim))) =
                decl.iter().enumerate().find(|(_, d)| matches!(d, DeclaredDim::Dynamic(_)))
            {
                let example = joined(&mut decl.iter().map(|d| match d {
                    DeclaredDim::Fixed(v) => *v,
                    DeclaredDim::Dynamic(_) => 1,
                }));
                return Err(OnnxError::DynamicInput { input: name.to_string(), index, dim: dim.clone(), example });
            }
            Ok(decl
                .iter()
                .map(|d| match d {
                    DeclaredDim::Fixed(v) => *v,
                    DeclaredDim::Dynamic(_) => 1,
                })
                .collect())
        }
        (None, None) => Err(OnnxError::InputShape {
            spec: format!("{name}=?"),
            reason: format!("input `{name}` declares no shape; give one, e.g. --input-shape {name}=1,3,224,224"),
        }),
    }
}

//! Shape rules of the data-movement operators (Reshape, Flatten, Transpose, Squeeze, Unsqueeze,
//! Concat, Split, Slice, Gather, Shape, Pad, Expand, Tile, Resize), with the constant folding that
//! exported shape computations (`Shape → Gather → Concat → Reshape`) need.

use crate::error::Result;
use crate::graph::{Node, TensorInfo, Tensors};
use crate::lower::broadcast;

/// Normalise a possibly negative axis against `rank`.
pub(crate) fn axis(node: &Node, a: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    if a < -r || a >= r {
        return Err(node.invalid(format!("axis {a} is out of range for rank {rank}")));
    }
    Ok(if a < 0 { (a + r) as usize } else { a as usize })
}

fn to_dims(node: &Node, what: &str, v: &[i64]) -> Result<Vec<u64>> {
    v.iter()
        .map(|&d| u64::try_from(d).map_err(|_| node.invalid(format!("{what} {v:?} has a negative entry"))))
        .collect()
}

/// A list parameter given as an attribute (older opsets) or a constant input (newer ones).
fn attr_or_input(node: &Node, t: &Tensors, attr: &str, input: usize) -> Result<Option<Vec<i64>>> {
    if let Some(v) = node.ints(attr) {
        return Ok(Some(v.to_vec()));
    }
    if node.input(input).is_some() {
        return t.values(node, input, attr).map(Some);
    }
    Ok(None)
}

fn elements(dims: &[u64]) -> u64 {
    dims.iter().fold(1u64, |a, &d| a.saturating_mul(d))
}

/// Output tensors of a data-movement operator, or `None` if `op` is not one.
pub(crate) fn infer(node: &Node, t: &Tensors) -> Result<Option<Vec<TensorInfo>>> {
    let op = node.op();
    let out = |shape: Vec<u64>, values: Option<Vec<i64>>| TensorInfo { shape, values, constant: false };
    let x = || t.input(node, 0);
    let result = match op {
        "Reshape" => {
            let data = x()?;
            let target =
                attr_or_input(node, t, "shape", 1)?.ok_or_else(|| node.invalid("the target shape is missing"))?;
            let allow_zero = node.int("allowzero", 0) != 0;
            let mut dims = Vec::with_capacity(target.len());
            let mut infer_at = None;
            for (i, &v) in target.iter().enumerate() {
                match v {
                    0 if !allow_zero => dims.push(*data.shape.get(i).ok_or_else(|| {
                        node.invalid(format!("target {target:?} copies dimension {i} that {:?} lacks", data.shape))
                    })?),
                    -1 if infer_at.is_none() => {
                        infer_at = Some(i);
                        dims.push(1);
                    }
                    v if v >= 0 => dims.push(v as u64),
                    _ => return Err(node.invalid(format!("target shape {target:?} is invalid"))),
                }
            }
            let (total, known) = (data.elements(), elements(&dims));
            if let Some(i) = infer_at {
                if known == 0 || total % known != 0 {
                    return Err(node.invalid(format!("cannot reshape {:?} to {target:?}", data.shape)));
                }
                dims[i] = total / known;
            } else if known != total {
                return Err(node.invalid(format!("cannot reshape {:?} ({total} elements) to {target:?}", data.shape)));
            }
            vec![out(dims, data.values.clone())]
        }
        "Flatten" => {
            let data = x()?;
            let a = node.int("axis", 1);
            let r = data.shape.len() as i64;
            if a < -r || a > r {
                return Err(node.invalid(format!("axis {a} is out of range for rank {r}")));
            }
            let a = if a < 0 { a + r } else { a } as usize;
            vec![out(vec![elements(&data.shape[..a]), elements(&data.shape[a..])], data.values.clone())]
        }
        "Transpose" => {
            let data = x()?;
            let rank = data.shape.len();
            let perm: Vec<usize> = match node.ints("perm") {
                Some(p) => p.iter().map(|&a| axis(node, a, rank)).collect::<Result<_>>()?,
                None => (0..rank).rev().collect(),
            };
            let mut sorted = perm.clone();
            sorted.sort_unstable();
            if sorted != (0..rank).collect::<Vec<_>>() {
                return Err(node.invalid(format!("perm {perm:?} is not a permutation of {rank} axes")));
            }
            vec![out(perm.iter().map(|&p| data.shape[p]).collect(), None)]
        }
        "Squeeze" => {
            let data = x()?;
            let rank = data.shape.len();
            let dims = match attr_or_input(node, t, "axes", 1)? {
                Some(axes) => {
                    let axes: Vec<usize> = axes.iter().map(|&a| axis(node, a, rank)).collect::<Result<_>>()?;
                    if let Some(&a) = axes.iter().find(|&&a| data.shape[a] != 1) {
                        return Err(node.invalid(format!("axis {a} of {:?} is not 1", data.shape)));
                    }
                    (0..rank).filter(|i| !axes.contains(i)).map(|i| data.shape[i]).collect()
                }
                None => data.shape.iter().copied().filter(|&d| d != 1).collect(),
            };
            vec![out(dims, data.values.clone())]
        }
        "Unsqueeze" => {
            let data = x()?;
            let axes = attr_or_input(node, t, "axes", 1)?.ok_or_else(|| node.invalid("axes are missing"))?;
            let rank = data.shape.len() + axes.len();
            let axes: Vec<usize> = axes.iter().map(|&a| axis(node, a, rank)).collect::<Result<_>>()?;
            let mut rest = data.shape.iter();
            let dims = (0..rank).map(|i| if axes.contains(&i) { Some(1) } else { rest.next().copied() }).collect();
            let dims: Option<Vec<u64>> = dims;
            let dims = dims.ok_or_else(|| node.invalid(format!("axes {axes:?} repeat an axis")))?;
            vec![out(dims, data.values.clone())]
        }
        "Concat" => {
            let inputs: Vec<&TensorInfo> = (0..node.proto.input.len())
                .filter(|&i| node.input(i).is_some())
                .map(|i| t.input(node, i))
                .collect::<Result<_>>()?;
            let first = inputs.first().ok_or_else(|| node.invalid("no inputs"))?;
            let a = axis(node, node.int("axis", 0), first.shape.len())?;
            let mut dims = first.shape.clone();
            for other in &inputs[1..] {
                let same_rest =
                    other.shape.len() == dims.len() && (0..dims.len()).all(|i| i == a || other.shape[i] == dims[i]);
                if !same_rest {
                    return Err(
                        node.invalid(format!("shapes {:?} and {:?} differ off axis {a}", first.shape, other.shape))
                    );
                }
                dims[a] = dims[a].saturating_add(other.shape[a]);
            }
            let values = if dims.len() == 1 {
                inputs.iter().map(|i| i.values.clone()).collect::<Option<Vec<_>>>().map(|v| v.concat())
            } else {
                None
            };
            vec![out(dims, values)]
        }
        "Split" => {
            let data = x()?;
            let a = axis(node, node.int("axis", 0), data.shape.len())?;
            let parts = node.proto.output.len();
            let sizes = match attr_or_input(node, t, "split", 1)? {
                Some(s) => to_dims(node, "split", &s)?,
                None => {
                    let d = data.shape[a];
                    let each = d.div_ceil(parts.max(1) as u64);
                    (0..parts as u64).map(|i| each.min(d.saturating_sub(i * each))).collect()
                }
            };
            if sizes.len() != parts || sizes.iter().sum::<u64>() != data.shape[a] {
                return Err(node.invalid(format!("split {sizes:?} does not cut dimension {a} of {:?}", data.shape)));
            }
            sizes
                .iter()
                .map(|&s| {
                    let mut d = data.shape.clone();
                    d[a] = s;
                    out(d, None)
                })
                .collect()
        }
        "Slice" => vec![slice(node, t)?],
        "Gather" => {
            let (data, idx) = (x()?, t.input(node, 1)?);
            let a = axis(node, node.int("axis", 0), data.shape.len())?;
            let mut dims = data.shape[..a].to_vec();
            dims.extend(&idx.shape);
            dims.extend(&data.shape[a + 1..]);
            let values = match (&data.values, &idx.values) {
                (Some(d), Some(i)) if data.shape.len() == 1 => i
                    .iter()
                    .map(|&k| {
                        let k = if k < 0 { k + d.len() as i64 } else { k };
                        usize::try_from(k).ok().and_then(|k| d.get(k).copied())
                    })
                    .collect::<Option<Vec<i64>>>(),
                _ => None,
            };
            vec![out(dims, values)]
        }
        "Shape" => {
            let data = x()?;
            let rank = data.shape.len() as i64;
            let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
            let (start, end) = (clamp(node.int("start", 0)), clamp(node.int("end", rank)));
            let v: Vec<i64> = data.shape[start..end.max(start)].iter().map(|&d| d as i64).collect();
            vec![out(vec![v.len() as u64], Some(v))]
        }
        "ConstantOfShape" => vec![out(to_dims(node, "shape", &t.values(node, 0, "shape")?)?, None)],
        "Pad" => {
            let data = x()?;
            let pads = attr_or_input(node, t, "pads", 1)?.ok_or_else(|| node.invalid("pads are missing"))?;
            let r = data.shape.len();
            if pads.len() != 2 * r {
                return Err(node.invalid(format!("pads {pads:?} must have {} entries", 2 * r)));
            }
            let dims = (0..r)
                .map(|i| {
                    let d = i128::from(data.shape[i]) + i128::from(pads[i]) + i128::from(pads[i + r]);
                    u64::try_from(d).ok().filter(|&d| d > 0)
                })
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| node.invalid(format!("pads {pads:?} remove all of {:?}", data.shape)))?;
            vec![out(dims, None)]
        }
        "Expand" => {
            let data = x()?;
            let shape = to_dims(node, "shape", &t.values(node, 1, "shape")?)?;
            let dims = broadcast(&data.shape, &shape)
                .ok_or_else(|| node.invalid(format!("{:?} does not broadcast to {shape:?}", data.shape)))?;
            vec![out(dims, None)]
        }
        "Tile" => {
            let data = x()?;
            let reps = to_dims(node, "repeats", &t.values(node, 1, "repeats")?)?;
            if reps.len() != data.shape.len() {
                return Err(node.invalid(format!("repeats {reps:?} do not match rank {}", data.shape.len())));
            }
            vec![out(data.shape.iter().zip(&reps).map(|(d, r)| d.saturating_mul(*r)).collect(), None)]
        }
        _ => return Ok(None),
    };
    Ok(Some(result))
}

/// `Slice` with constant starts, ends, axes and steps (inputs since opset 10, attributes before).
fn slice(node: &Node, t: &Tensors) -> Result<TensorInfo> {
    let data = t.input(node, 0)?;
    let rank = data.shape.len();
    let starts = attr_or_input(node, t, "starts", 1)?.ok_or_else(|| node.invalid("starts are missing"))?;
    let ends = attr_or_input(node, t, "ends", 2)?.ok_or_else(|| node.invalid("ends are missing"))?;
    let axes = attr_or_input(node, t, "axes", 3)?.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = match node.input(4) {
        Some(_) => t.values(node, 4, "steps")?,
        None => vec![1; starts.len()],
    };
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err(node.invalid("starts, ends, axes and steps differ in length"));
    }
    let mut dims = data.shape.clone();
    let mut range_1d = None;
    for i in 0..starts.len() {
        let a = axis(node, axes[i], rank)?;
        // i128: starts/ends/steps are arbitrary i64 (INT64_MAX means "to the end").
        let (d, step) = (i128::from(data.shape[a]), i128::from(steps[i]));
        if step == 0 {
            return Err(node.invalid("a step is 0"));
        }
        let clamp = |v: i64, lo: i128, hi: i128| {
            let v = i128::from(v);
            (if v < 0 { v + d } else { v }).max(lo).min(hi)
        };
        let (s, n) = if step > 0 {
            let (s, e) = (clamp(starts[i], 0, d), clamp(ends[i], 0, d));
            (s, if e > s { (e - s + step - 1) / step } else { 0 })
        } else {
            let (s, e) = (clamp(starts[i], 0, d - 1), clamp(ends[i], -1, d - 1));
            (s, if s > e { (s - e - step - 1) / -step } else { 0 })
        };
        dims[a] = n as u64;
        range_1d = Some((s, step));
    }
    let values = match (&data.values, range_1d) {
        (Some(v), Some((s, step))) if rank == 1 => Some(
            (0..i128::from(dims[0]))
                .filter_map(|k| usize::try_from(s + k * step).ok().and_then(|at| v.get(at).copied()))
                .collect(),
        ),
        _ => None,
    };
    Ok(TensorInfo { shape: dims, values, constant: false })
}

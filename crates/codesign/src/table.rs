//! A measurement table keyed by architecture: the wide CSV of [`DeviceTable`] with its key column
//! parsed by a search space.

use std::collections::HashMap;

use edgeopt_nas::{Encode, SearchSpace};
use edgeopt_predictors::data::DeviceTable;

use crate::adapt::{fit_proxy, predict_all};
use crate::device::TableDevice;
use crate::error::{CodesignError, Result};
use crate::pool::ProxyPool;

/// Architectures of a table, in row order, and the table itself.
///
/// ```no_run
/// use edgeopt_codesign::ArchTable;
/// use edgeopt_nas::Nb201;
/// use edgeopt_predictors::data::DeviceTable;
/// let table = DeviceTable::read("data/nb201_hwnasbench_cifar10.csv.gz".as_ref()).unwrap();
/// let t = ArchTable::new(&Nb201::cifar10(), table, "arch_str").unwrap();
/// let pixel3 = t.device("latency_ms_pixel3", None).unwrap();
/// assert_eq!(t.archs.len(), 15_625);
/// # let _ = pixel3;
/// ```
#[derive(Debug, Clone)]
pub struct ArchTable<A> {
    /// Architecture of each row.
    pub archs: Vec<A>,
    /// The table.
    pub table: DeviceTable,
}

impl<A: Clone + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync> ArchTable<A> {
    /// Parse the `key_column` of every row with `space`.
    pub fn new<S: SearchSpace<Arch = A>>(space: &S, table: DeviceTable, key_column: &str) -> Result<ArchTable<A>> {
        let archs =
            table.text(key_column)?.iter().map(|k| space.parse_key(k)).collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(ArchTable { archs, table })
    }

    /// A numeric column (missing cells are `None`).
    pub fn column(&self, name: &str) -> Result<Vec<Option<f64>>> {
        Ok(self.table.numeric(name)?)
    }

    /// A column that must be complete (e.g. accuracy).
    pub fn complete(&self, name: &str) -> Result<Vec<f64>> {
        self.column(name)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                v.ok_or_else(|| CodesignError::InvalidParam {
                    name: "column",
                    value: name.to_string(),
                    reason: format!("row {} is empty; this column must be complete", i + 1),
                })
            })
            .collect()
    }

    /// A measurable device from a latency column (and optionally an energy column); rows with a
    /// missing latency are not measurable.
    pub fn device(&self, latency: &str, energy: Option<&str>) -> Result<TableDevice<A>> {
        let lat = self.column(latency)?;
        let en = match energy {
            Some(e) => self.column(e)?,
            None => vec![Some(0.0); lat.len()],
        };
        Ok(TableDevice::new(
            latency,
            self.archs
                .iter()
                .zip(lat.iter().zip(&en))
                .filter_map(|(a, (l, e))| Some((a.clone(), (*l)?, e.unwrap_or(0.0)))),
        ))
    }

    /// The named columns as a [`ProxyPool`] over `candidates`, two columns per proxy: its
    /// measured values (where it has no measurement for a candidate, its linear predictor's), and
    /// its operator-level linear predictor fitted on every row it has, named `NAME:linear`. The
    /// second is the smooth, additive part of the proxy — what some targets follow more closely
    /// than any measured device — and the pool adaptation chooses between them on the target.
    pub fn proxy_pool<S: Encode<Arch = A>>(&self, space: &S, names: &[String], candidates: &[A]) -> Result<ProxyPool> {
        let row: HashMap<&A, usize> = self.archs.iter().enumerate().map(|(i, a)| (a, i)).collect();
        let mut measured = Vec::with_capacity(names.len());
        let mut smooth = Vec::with_capacity(names.len());
        for name in names {
            let col = self.column(name)?;
            let (have, lat): (Vec<A>, Vec<f64>) =
                self.archs.iter().zip(&col).filter_map(|(a, l)| Some((a.clone(), (*l)?))).unzip();
            if have.is_empty() {
                return Err(CodesignError::InvalidParam {
                    name: "proxy",
                    value: name.clone(),
                    reason: "the column has no measurements".into(),
                });
            }
            let model = fit_proxy(space, &have, &lat)?;
            let predicted = predict_all(space, &model, candidates)?;
            let values = candidates
                .iter()
                .zip(&predicted)
                .map(|(a, p)| row.get(a).and_then(|&i| col[i]).unwrap_or(*p))
                .collect();
            measured.push((name.clone(), values));
            smooth.push((format!("{name}:linear"), predicted));
        }
        measured.extend(smooth);
        ProxyPool::new(measured)
    }
}

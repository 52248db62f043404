//! A measurement table keyed by architecture: the wide CSV of [`DeviceTable`] with its key column
//! parsed by a search space.

use std::collections::HashMap;

use edgeopt_nas::{Encode, SearchSpace};
use edgeopt_predictors::PredictorError;
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
    /// The column the architectures were parsed from (their keys, for error messages).
    key_column: String,
}

impl<A: Clone + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync> ArchTable<A> {
    /// Parse the `key_column` of every row with `space`. Each architecture may appear once: two
    /// rows of one architecture would give it two values in every column.
    pub fn new<S: SearchSpace<Arch = A>>(space: &S, table: DeviceTable, key_column: &str) -> Result<ArchTable<A>> {
        let keys = table.text(key_column)?;
        let archs = keys.iter().map(|k| space.parse_key(k)).collect::<std::result::Result<Vec<_>, _>>()?;
        let mut first: HashMap<&A, usize> = HashMap::with_capacity(archs.len());
        for (row, arch) in archs.iter().enumerate() {
            if let Some(earlier) = first.insert(arch, row) {
                return Err(PredictorError::Data {
                    file: table.file().to_string(),
                    row: row + 1,
                    column: key_column.to_string(),
                    message: format!(
                        "architecture `{}` appears again (first in row {}); each architecture may appear once",
                        keys[row],
                        earlier + 1
                    ),
                }
                .into());
            }
        }
        Ok(ArchTable { archs, table, key_column: key_column.to_string() })
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
        let keys = self.table.text(&self.key_column)?;
        Ok(TableDevice::new(
            latency,
            self.archs
                .iter()
                .zip(lat.iter().zip(&en))
                .filter_map(|(a, (l, e))| Some((a.clone(), (*l)?, e.unwrap_or(0.0)))),
        )
        .with_keys(self.archs.iter().cloned().zip(keys.into_iter().map(str::to_string))))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Device;
    use edgeopt_nas::Nb201;

    #[test]
    fn an_architecture_in_two_rows_is_refused_by_file_row_and_key() {
        let a = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|";
        let b = "|none~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|";
        let text = format!("arch_str,lat\n{a},1\n{b},2\n{a},3\n");
        let space = Nb201::cifar10();
        let err = ArchTable::new(&space, DeviceTable::parse(&text, "t.csv").unwrap(), "arch_str").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("t.csv: row 3") && msg.contains("first in row 1") && msg.contains(a), "{msg}");
        let once = format!("arch_str,lat\n{a},1\n{b},2\n");
        let t = ArchTable::new(&space, DeviceTable::parse(&once, "t.csv").unwrap(), "arch_str").unwrap();
        assert_eq!(t.archs.len(), 2);
    }

    #[test]
    fn a_device_names_an_unmeasured_architecture_by_its_key() {
        let a = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|";
        let b = "|none~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|";
        let text = format!("arch_str,lat\n{a},1\n{b},\n");
        let space = Nb201::cifar10();
        let t = ArchTable::new(&space, DeviceTable::parse(&text, "t.csv").unwrap(), "arch_str").unwrap();
        let err = t.device("lat", None).unwrap().measure(&t.archs[1]).unwrap_err().to_string();
        assert!(err.contains(&format!("`{b}`")) && !err.contains("Nb201Arch"), "{err}");
    }
}

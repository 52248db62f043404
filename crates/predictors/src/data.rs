//! Loading wide per-device measurement tables: one row per architecture, one column per device
//! metric, empty cells for missing values (the format of `nb201_hwnasbench_cifar10.csv`).

use std::path::Path;

use crate::error::{PredictorError, Result};

/// A wide CSV table held as text, with typed column accessors.
///
/// ```
/// use edgeopt_predictors::data::DeviceTable;
/// let t = DeviceTable::parse("arch,lat_a,lat_b\nx,1.5,\ny,2.0,3\n", "t.csv").unwrap();
/// assert_eq!(t.numeric("lat_b").unwrap(), vec![None, Some(3.0)]);
/// assert!(t.numeric("lat_c").unwrap_err().to_string().contains("lat_c"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceTable {
    file: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl DeviceTable {
    /// Parse CSV text; `file` names the source in errors.
    pub fn parse(text: &str, file: &str) -> Result<DeviceTable> {
        let err = |row: usize, message: String| PredictorError::Data {
            file: file.to_string(),
            row,
            column: String::new(),
            message,
        };
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
        let headers: Vec<String> =
            rdr.headers().map_err(|e| err(0, e.to_string()))?.iter().map(|h| h.trim().to_string()).collect();
        if headers.is_empty() || headers.iter().all(String::is_empty) {
            return Err(err(0, "no header row".into()));
        }
        let mut rows = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| err(i + 1, e.to_string()))?;
            rows.push(rec.iter().map(|c| c.trim().to_string()).collect());
        }
        if rows.is_empty() {
            return Err(err(0, "no data rows".into()));
        }
        Ok(DeviceTable { file: file.to_string(), headers, rows })
    }

    /// Read a file; names ending in `.gz` are decompressed.
    pub fn read(path: &Path) -> Result<DeviceTable> {
        let name = path.display().to_string();
        let io = |e: std::io::Error| PredictorError::Data {
            file: name.clone(),
            row: 0,
            column: String::new(),
            message: e.to_string(),
        };
        let bytes = std::fs::read(path).map_err(io)?;
        if name.ends_with(".gz") {
            return DeviceTable::parse_gz(&bytes, &name);
        }
        let text = String::from_utf8(bytes).map_err(|e| PredictorError::Data {
            file: name.clone(),
            row: 0,
            column: String::new(),
            message: format!("not UTF-8: {e}"),
        })?;
        DeviceTable::parse(&text, &name)
    }

    /// Parse gzip-compressed CSV bytes.
    pub fn parse_gz(bytes: &[u8], file: &str) -> Result<DeviceTable> {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).map_err(|e| PredictorError::Data {
            file: file.to_string(),
            row: 0,
            column: String::new(),
            message: format!("gzip: {e}"),
        })?;
        DeviceTable::parse(&text, file)
    }

    /// Column names.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows (never true for a parsed table).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn index(&self, column: &str) -> Result<usize> {
        self.headers.iter().position(|h| h == column).ok_or_else(|| PredictorError::Data {
            file: self.file.clone(),
            row: 0,
            column: column.to_string(),
            message: format!("no such column; the file has: {}", self.headers.join(", ")),
        })
    }

    /// A text column.
    pub fn text(&self, column: &str) -> Result<Vec<&str>> {
        let i = self.index(column)?;
        Ok(self.rows.iter().map(|r| r[i].as_str()).collect())
    }

    /// A numeric column; empty cells are `None`, anything else must be a finite number.
    pub fn numeric(&self, column: &str) -> Result<Vec<Option<f64>>> {
        let i = self.index(column)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(r, row)| {
                let cell = &row[i];
                if cell.is_empty() {
                    return Ok(None);
                }
                let bad = |message: String| PredictorError::Data {
                    file: self.file.clone(),
                    row: r + 1,
                    column: column.to_string(),
                    message,
                };
                let v: f64 = cell.parse().map_err(|_| bad(format!("`{cell}` is not a number")))?;
                if !v.is_finite() {
                    return Err(bad(format!("`{cell}` is not finite")));
                }
                Ok(Some(v))
            })
            .collect()
    }

    /// Names of the columns that start with `prefix` (e.g. `latency_`), in file order.
    pub fn columns_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.headers.iter().filter(|h| h.starts_with(prefix)).cloned().collect()
    }
}

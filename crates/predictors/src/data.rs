//! Loading wide per-device measurement tables: one row per architecture, one column per device
//! metric, empty cells for missing values (the format of `nb201_hwnasbench_cifar10.csv`).
//!
//! Files are read as the formats specify them: CSV with quoted fields (RFC 4180), gzip with any
//! number of members. Input is streamed and bounded: more decompressed text than a limit (by
//! default a quarter of the available memory) is refused with an error instead of exhausting it,
//! and the table is held compactly (the cell text plus four bytes per cell).

use std::io::Read;
use std::path::Path;

use crate::error::{PredictorError, Result};

/// A wide CSV table held as text, with typed column accessors.
///
/// ```
/// use edgeopt_predictors::data::DeviceTable;
/// let t = DeviceTable::parse("arch,lat_a,lat_b\nx,1.5,\ny,2.0,3\n", "t.csv").unwrap();
/// assert_eq!(t.numeric("lat_b").unwrap(), vec![None, Some(3.0)]);
/// assert!(t.numeric("lat_c").unwrap_err().to_string().contains("lat_c"));
/// // Duplicated columns are ambiguous, so they are refused by name.
/// assert!(DeviceTable::parse("arch,lat,lat\nx,1,2\n", "t.csv").unwrap_err().to_string().contains("`lat`"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceTable {
    file: String,
    headers: Vec<String>,
    /// Every cell's text, row-major, back to back.
    cells: String,
    /// End offset in `cells` of each cell (its start is the previous cell's end).
    ends: Vec<u32>,
}

/// The largest amount of CSV text a table may hold: its cells are addressed with 32-bit offsets.
const MAX_TEXT: u64 = u32::MAX as u64;

/// The default bound on the (decompressed) text of one table: a quarter of the memory available
/// now, as the kernel reports it, or 1 GiB where it does not; never more than 4 GiB.
pub fn default_input_limit() -> u64 {
    let available = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find(|l| l.starts_with("MemAvailable:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| kib.saturating_mul(1024))
    });
    available.map_or(1 << 30, |bytes| bytes / 4).min(MAX_TEXT)
}

/// A reader that fails, rather than ends early, once more than `left` bytes come through.
struct Bounded<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Ask for one byte more than allowed, to tell "exactly the limit" from "more".
        let want = buf.len().min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.exceeded = true;
            return Err(std::io::Error::other("input exceeds the size limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn data_error(file: &str, row: usize, column: &str, message: String) -> PredictorError {
    PredictorError::Data { file: file.to_string(), row, column: column.to_string(), message }
}

/// A CSV error in words; decompression failures arrive as I/O errors.
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read (corrupt or truncated gzip?): {io}"),
        _ => e.to_string(),
    }
}

impl DeviceTable {
    /// Parse CSV text; `file` names the source in errors.
    pub fn parse(text: &str, file: &str) -> Result<DeviceTable> {
        DeviceTable::from_reader(text.as_bytes(), file, MAX_TEXT)
    }

    /// Parse CSV from a reader, refusing more than `limit` bytes of text.
    pub fn from_reader(reader: impl Read, file: &str, limit: u64) -> Result<DeviceTable> {
        let limit = limit.min(MAX_TEXT);
        let err = |row: usize, message: String| data_error(file, row, "", message);
        let bounded = Bounded { inner: reader, left: limit, exceeded: false };
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bounded);
        let too_large = |rdr: &csv::Reader<Bounded<_>>| {
            rdr.get_ref().exceeded.then(|| {
                err(
                    0,
                    format!(
                        "more than {limit} bytes of CSV text (the limit is a quarter of the available memory; \
                         use DeviceTable::from_reader to set another)"
                    ),
                )
            })
        };
        let headers: Vec<String> = match rdr.headers() {
            Ok(h) => h.iter().map(|h| h.trim().to_string()).collect(),
            Err(e) => return Err(too_large(&rdr).unwrap_or_else(|| err(0, csv_message(&e)))),
        };
        if headers.is_empty() || headers.iter().all(String::is_empty) {
            return Err(err(0, "no header row".into()));
        }
        for (i, h) in headers.iter().enumerate() {
            if h.is_empty() {
                return Err(err(0, format!("header column {} has no name", i + 1)));
            }
            if let Some(j) = headers[..i].iter().position(|g| g == h) {
                return Err(data_error(
                    file,
                    0,
                    h,
                    format!("column name appears twice (columns {} and {})", j + 1, i + 1),
                ));
            }
        }
        let mut cells = String::new();
        let mut ends = Vec::new();
        let mut record = csv::StringRecord::new();
        let mut row = 0;
        loop {
            match rdr.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(too_large(&rdr).unwrap_or_else(|| err(row + 1, csv_message(&e)))),
            }
            row += 1;
            for cell in record.iter() {
                cells.push_str(cell.trim());
                // Within bounds: the text read is at most MAX_TEXT bytes.
                ends.push(u32::try_from(cells.len()).map_err(|_| err(row, "table text exceeds 4 GiB".into()))?);
            }
        }
        if ends.is_empty() {
            return Err(err(0, "no data rows".into()));
        }
        cells.shrink_to_fit();
        ends.shrink_to_fit();
        Ok(DeviceTable { file: file.to_string(), headers, cells, ends })
    }

    /// Read a file; names ending in `.gz` are decompressed. At most [`default_input_limit`] bytes
    /// of (decompressed) text are accepted.
    pub fn read(path: &Path) -> Result<DeviceTable> {
        DeviceTable::read_limited(path, default_input_limit())
    }

    /// [`DeviceTable::read`] with an explicit bound on the (decompressed) text in bytes.
    pub fn read_limited(path: &Path, limit: u64) -> Result<DeviceTable> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| data_error(&name, 0, "", e.to_string()))?;
        let reader = std::io::BufReader::new(file);
        if name.ends_with(".gz") {
            return DeviceTable::gz_reader(reader, &name, limit);
        }
        DeviceTable::from_reader(reader, &name, limit)
    }

    /// Parse gzip-compressed CSV bytes (every member of a multi-member file).
    pub fn parse_gz(bytes: &[u8], file: &str) -> Result<DeviceTable> {
        DeviceTable::gz_reader(bytes, file, default_input_limit())
    }

    fn gz_reader(reader: impl std::io::BufRead, file: &str, limit: u64) -> Result<DeviceTable> {
        DeviceTable::from_reader(flate2::bufread::MultiGzDecoder::new(reader), file, limit)
    }

    /// The source named in errors (the file's path, or the name given to [`DeviceTable::parse`]).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Column names.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.ends.len() / self.headers.len()
    }

    /// Whether there are no rows (never true for a parsed table).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn cell(&self, row: usize, column: usize) -> &str {
        let i = row * self.headers.len() + column;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.cells[start..self.ends[i] as usize]
    }

    fn index(&self, column: &str) -> Result<usize> {
        self.headers.iter().position(|h| h == column).ok_or_else(|| {
            data_error(&self.file, 0, column, format!("no such column; the file has: {}", self.headers.join(", ")))
        })
    }

    /// A text column.
    pub fn text(&self, column: &str) -> Result<Vec<&str>> {
        let i = self.index(column)?;
        Ok((0..self.len()).map(|r| self.cell(r, i)).collect())
    }

    /// A numeric column; empty cells are `None`, anything else must be a finite number.
    pub fn numeric(&self, column: &str) -> Result<Vec<Option<f64>>> {
        let i = self.index(column)?;
        (0..self.len())
            .map(|r| {
                let cell = self.cell(r, i);
                if cell.is_empty() {
                    return Ok(None);
                }
                let bad = |message: String| data_error(&self.file, r + 1, column, message);
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

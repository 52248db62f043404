//! Reading and writing layer tables: `name,type,k,c,r,s,y,x,stride[,groups][,batch]`.
//!
//! Types are CONV, DSCONV, NGCONV, TRCONV, GEMM, FC with MAESTRO's dimension names (K output
//! channels, C input channels, R×S filter, Y×X *input* rows×cols without padding; per group for
//! NGCONV). Optional columns `stride_y`, `stride_x` override `stride`; `groups` and `batch`
//! default to 1.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Result, SimError};
use crate::layer::{Layer, LayerType};

#[derive(Debug, Deserialize)]
struct Row {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    k: u64,
    c: u64,
    r: u64,
    s: u64,
    y: u64,
    x: u64,
    #[serde(default)]
    stride: Option<u64>,
    #[serde(default)]
    stride_y: Option<u64>,
    #[serde(default)]
    stride_x: Option<u64>,
    #[serde(default)]
    groups: Option<u64>,
    #[serde(default)]
    batch: Option<u64>,
}

/// Parse a layer table from CSV text. `file` names the source in errors.
///
/// ```
/// let text = "name,type,k,c,r,s,y,x,stride\nconv1,CONV,32,3,3,3,226,226,2\n";
/// let layers = edgeopt_accel_sim::layer_csv::parse(text, "net.csv").unwrap();
/// assert_eq!(layers[0].output_rows(), 112);
/// assert!(edgeopt_accel_sim::layer_csv::parse("name,type\nx,CONV\n", "bad.csv").is_err());
/// // A misspelt column is an error, not silently ignored.
/// let bad = "name,type,k,c,r,s,y,x,stirde\nc,CONV,8,8,3,3,9,9,2\n";
/// assert!(edgeopt_accel_sim::layer_csv::parse(bad, "bad.csv").unwrap_err().to_string().contains("`stirde`"));
/// ```
pub fn parse(text: &str, file: &str) -> Result<Vec<Layer>> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let err = |row: usize, message: String| SimError::Csv { file: file.to_string(), row, message };
    let headers = rdr.headers().map_err(|e| err(0, e.to_string()))?.clone();
    check_columns(&headers).map_err(|m| err(0, m))?;
    let mut out = Vec::new();
    for (i, rec) in rdr.deserialize::<Row>().enumerate() {
        let row = i + 1;
        let r = rec.map_err(|e| err(row, e.to_string()))?;
        let kind = LayerType::parse(&r.kind).ok_or_else(|| {
            err(row, format!("unknown layer type `{}` (expected CONV, DSCONV, NGCONV, TRCONV, GEMM or FC)", r.kind))
        })?;
        let stride = r.stride.unwrap_or(1);
        let layer = Layer {
            name: r.name,
            kind,
            batch: r.batch.unwrap_or(1),
            groups: r.groups.unwrap_or(1),
            k: r.k,
            c: r.c,
            r: r.r,
            s: r.s,
            y: r.y,
            x: r.x,
            stride_y: r.stride_y.unwrap_or(stride),
            stride_x: r.stride_x.unwrap_or(stride),
        };
        layer.validate().map_err(|e| err(row, e.to_string()))?;
        out.push(layer);
    }
    if out.is_empty() {
        return Err(err(0, "no layers".to_string()));
    }
    Ok(out)
}

/// The columns a layer table may have; a misspelt optional column would otherwise be ignored
/// silently (`stirde` leaving every stride at 1).
const COLUMNS: [&str; 13] =
    ["name", "type", "k", "c", "r", "s", "y", "x", "stride", "stride_y", "stride_x", "groups", "batch"];
const REQUIRED: [&str; 8] = ["name", "type", "k", "c", "r", "s", "y", "x"];

fn check_columns(headers: &csv::StringRecord) -> std::result::Result<(), String> {
    let names: Vec<&str> = headers.iter().collect();
    for (i, h) in names.iter().enumerate() {
        if !COLUMNS.contains(h) {
            return Err(format!("unknown column `{h}` (expected {})", COLUMNS.join(", ")));
        }
        if names[..i].contains(h) {
            return Err(format!("column `{h}` appears twice"));
        }
    }
    if let Some(missing) = REQUIRED.iter().find(|r| !names.contains(r)) {
        return Err(format!("missing column `{missing}` (required: {})", REQUIRED.join(", ")));
    }
    Ok(())
}

/// The largest layer-table or mapping file read (64 MiB, about a million layers): a larger one
/// is refused before it is read into memory.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Read a text file of at most [`MAX_FILE_BYTES`]; errors name the file.
pub fn read_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let name = path.display().to_string();
    let io = |e: std::io::Error| SimError::Csv { file: name.clone(), row: 0, message: e.to_string() };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut text = String::new();
    // One byte more than the limit tells "at the limit" from "above it", even for pipes.
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text).map_err(io)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(SimError::Csv {
            file: name,
            row: 0,
            message: format!("larger than the {MAX_FILE_BYTES}-byte limit for layer and mapping files"),
        });
    }
    Ok(text)
}

/// Read a layer table from a file.
pub fn read(path: &Path) -> Result<Vec<Layer>> {
    parse(&read_text(path)?, &path.display().to_string())
}

/// Write layers as a CSV table that [`parse`] reads back.
pub fn to_csv(layers: &[Layer]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = ["name", "type", "k", "c", "r", "s", "y", "x", "stride_y", "stride_x", "groups", "batch"];
    // Writing to a Vec cannot fail.
    let _ = w.write_record(header);
    for l in layers {
        let nums = [l.k, l.c, l.r, l.s, l.y, l.x, l.stride_y, l.stride_x, l.groups, l.batch].map(|v| v.to_string());
        let mut rec = vec![l.name.clone(), l.kind.to_string()];
        rec.extend(nums);
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

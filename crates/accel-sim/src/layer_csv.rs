//! Reading and writing layer tables: `name,type,k,c,r,s,y,x,stride[,groups][,batch]`.
//!
//! Types are CONV, DSCONV, NGCONV, TRCONV, GEMM, FC with MAESTRO's dimension names (K output
//! channels, C input channels, R×S filter, Y×X *input* rows×cols without padding; per group for
//! NGCONV). Optional columns `stride_y`, `stride_x` override `stride`; `groups` and `batch`
//! default to 1.

use std::path::Path;

use crate::error::{Result, SimError};
use crate::layer::{Layer, LayerType};

/// Column positions of a table's header (`None`: the optional column is absent).
struct Columns {
    required: [usize; 8],
    optional: [Option<usize>; 5],
}

impl Columns {
    fn of(headers: &[&str]) -> Columns {
        let at = |name: &str| headers.iter().position(|h| *h == name);
        // check_columns has made sure the required ones exist.
        let required = REQUIRED.map(|name| at(name).unwrap_or(0));
        let optional = ["stride", "stride_y", "stride_x", "groups", "batch"].map(at);
        Columns { required, optional }
    }
}

/// `str::trim`, with a shortcut for the usual field that has no surrounding space.
fn trim(field: &str) -> &str {
    match (field.as_bytes().first(), field.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() => field,
        _ => field.trim(),
    }
}

/// A whole number in one field, or an error naming the column and the text.
fn number(field: &str, column: &str) -> std::result::Result<u64, String> {
    // Short runs of digits, the usual case, are summed directly (`str::parse` showed in profiles
    // of large tables); anything else goes to `str::parse`, which also words the error.
    if (1..=18).contains(&field.len()) && field.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(field.bytes().fold(0, |v, b| v * 10 + u64::from(b - b'0')));
    }
    field.parse::<u64>().map_err(|e| format!("column `{column}`: `{field}` is not a whole number ({e})"))
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
    match parse_plain(text, file)? {
        Some(layers) => Ok(layers),
        None => parse_csv(text, file),
    }
}

fn csv_error(file: &str, row: usize, message: String) -> SimError {
    SimError::Csv { file: file.to_string(), row, message }
}

/// The common table without quotes or carriage returns, split by hand: about twice as fast as the
/// csv crate on tables of many thousand layers. `None` when the text needs the csv crate's
/// rules (quotes, `\r`, a byte-order mark) or its wording of a structural error (ragged rows).
fn parse_plain(text: &str, file: &str) -> Result<Option<Vec<Layer>>> {
    if text.starts_with('\u{feff}') {
        return Ok(None);
    }
    let mut header: Option<(Vec<&str>, Columns)> = None;
    // One allocation for the layers, not a doubling series: a line per layer at most, and a layer
    // row has at least 16 bytes (so a file of blank lines does not reserve a layer per byte).
    let lines = text.bytes().filter(|&b| b == b'\n').count();
    let mut out = Vec::with_capacity(lines.min(text.len() / 16));
    let mut fields: Vec<&str> = Vec::with_capacity(16);
    let bytes = text.as_bytes();
    let mut start = 0;
    // One pass over the bytes; the delimiters are ASCII, so every slice is valid UTF-8.
    while start <= bytes.len() {
        let mut end = start;
        while end < bytes.len() && !matches!(bytes[end], b',' | b'\n' | b'"' | b'\r') {
            end += 1;
        }
        let field = &text[start..end];
        start = end + 1;
        match bytes.get(end) {
            Some(b',') => {
                fields.push(field);
                continue;
            }
            Some(b'"' | b'\r') => return Ok(None),
            _ => {} // end of line or of text
        }
        if fields.is_empty() && field.is_empty() {
            continue; // the csv crate skips empty lines
        }
        fields.push(field);
        match &header {
            None => {
                let names: Vec<&str> = fields.iter().map(|h| h.trim()).collect();
                check_columns(&names).map_err(|m| csv_error(file, 0, m))?;
                let cols = Columns::of(&names);
                header = Some((names, cols));
            }
            Some((names, cols)) => {
                if fields.len() != names.len() {
                    return Ok(None);
                }
                out.push(layer_of(&fields, cols, out.len() + 1, file)?);
            }
        }
        fields.clear();
    }
    if header.is_none() {
        return Ok(None);
    }
    if out.is_empty() {
        return Err(csv_error(file, 0, "no layers".to_string()));
    }
    Ok(Some(out))
}

/// Any table, split by the csv crate into one reused record.
fn parse_csv(text: &str, file: &str) -> Result<Vec<Layer>> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers: Vec<String> =
        rdr.headers().map_err(|e| csv_error(file, 0, e.to_string()))?.iter().map(|h| h.trim().to_string()).collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    check_columns(&headers).map_err(|m| csv_error(file, 0, m))?;
    let cols = Columns::of(&headers);
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut row = 0;
    loop {
        row += 1;
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file, row, e.to_string())),
        }
        let fields: Vec<&str> = rec.iter().collect();
        out.push(layer_of(&fields, &cols, row, file)?);
    }
    if out.is_empty() {
        return Err(csv_error(file, 0, "no layers".to_string()));
    }
    Ok(out)
}

/// One validated layer from the fields of data row `row`.
fn layer_of(fields: &[&str], cols: &Columns, row: usize, file: &str) -> Result<Layer> {
    let err = |message: String| csv_error(file, row, message);
    let field = |i: usize| trim(fields.get(i).copied().unwrap_or(""));
    let required = |k: usize| number(field(cols.required[k]), REQUIRED[k]).map_err(err);
    let optional = |k: usize, name: &str| -> Result<Option<u64>> {
        match cols.optional[k].map(field) {
            None | Some("") => Ok(None),
            Some(text) => number(text, name).map(Some).map_err(err),
        }
    };
    let kind_text = field(cols.required[1]);
    let kind = LayerType::parse(kind_text).ok_or_else(|| {
        err(format!("unknown layer type `{kind_text}` (expected CONV, DSCONV, NGCONV, TRCONV, GEMM or FC)"))
    })?;
    let stride = optional(0, "stride")?.unwrap_or(1);
    let layer = Layer {
        name: field(cols.required[0]).to_string(),
        kind,
        batch: optional(4, "batch")?.unwrap_or(1),
        groups: optional(3, "groups")?.unwrap_or(1),
        k: required(2)?,
        c: required(3)?,
        r: required(4)?,
        s: required(5)?,
        y: required(6)?,
        x: required(7)?,
        stride_y: optional(1, "stride_y")?.unwrap_or(stride),
        stride_x: optional(2, "stride_x")?.unwrap_or(stride),
    };
    layer.validate().map_err(|e| err(e.to_string()))?;
    Ok(layer)
}

/// The columns a layer table may have; a misspelt optional column would otherwise be ignored
/// silently (`stirde` leaving every stride at 1).
const COLUMNS: [&str; 13] =
    ["name", "type", "k", "c", "r", "s", "y", "x", "stride", "stride_y", "stride_x", "groups", "batch"];
const REQUIRED: [&str; 8] = ["name", "type", "k", "c", "r", "s", "y", "x"];

fn check_columns(names: &[&str]) -> std::result::Result<(), String> {
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
    let mut bytes = Vec::new();
    // One byte more than the limit tells "at the limit" from "above it", even for pipes.
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(SimError::Csv {
            file: name,
            row: 0,
            message: format!("larger than the {MAX_FILE_BYTES}-byte limit for layer and mapping files"),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        // Where the first bad byte is, so a user can find it (a Latin-1 name, a binary file).
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + good.iter().rev().take_while(|&&b| b != b'\n').count();
        let byte = e.as_bytes()[good.len()];
        SimError::Csv {
            file: name.clone(),
            row: 0,
            message: format!("line {line}, byte {column}: 0x{byte:02x} is not UTF-8 text"),
        }
    })
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

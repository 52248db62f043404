//! Readers for MAESTRO's own input files.
//!
//! * Mapping files: optional `Constant NAME value;` lines, then
//!   `Network N { Layer L { Type: T  Stride { X: 1, Y: 1 }  Dimensions { K: 64, ... }  Dataflow { ... } } }`
//!   with `SpatialMap(size,offset) D;`, `TemporalMap(size,offset) D;` and `Cluster(n, P);`
//!   directives, sizes given as numbers, constants or `Sz(D)`. Commas between dimensions are
//!   optional (MAESTRO's own zoo omits some). A file may also hold just a `Dataflow { ... }` block.
//!   GEMM layers use `M`, `N`, `K`; they become 1×1 convolutions (`M → Y`, `N → K`, `K → C`) and
//!   their directives are renamed the same way.
//! * Hardware files: `Key: value` lines (`NumPEs`, `L1Size`, `L2Size`, `NoC_BW`, `NoC_NumHops`,
//!   `NoC_HopLatency`, `OffChip_BW`, `VectorWidth`, `ElementBytes`).
//!
//! Errors carry the file name, line and column.
//!
//! ```
//! use edgeopt_accel_sim::maestro_file::parse_mapping;
//! let text = "Network n { Layer l { Type: CONV Stride { X: 1, Y: 1 }
//!   Dimensions { K: 8, C: 8, R: 3, S: 3, Y: 10, X: 10 }
//!   Dataflow { TemporalMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y;
//!              SpatialMap(Sz(S),1) X; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S; } } }";
//! let net = parse_mapping(text, "n.m").unwrap();
//! assert_eq!(net.layers[0].layer.output_rows(), 8);
//! assert_eq!(net.layers[0].dataflow.as_ref().unwrap().directives().len(), 6);
//! let err = parse_mapping("Network n { Layer l { Type: FOO } }", "bad.m").unwrap_err();
//! assert!(err.to_string().starts_with("bad.m:1:"));
//! ```

use std::collections::HashMap;

use crate::dataflow::{Dim, Directive, Extent, Mapping};
use crate::error::{Result, SimError};
use crate::hardware::HardwareConfig;
use crate::layer::{Layer, LayerType};

/// A layer of a mapping file with its dataflow, if the file gives one.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedLayer {
    /// The layer.
    pub layer: Layer,
    /// Its directives.
    pub dataflow: Option<Mapping>,
}

/// A parsed mapping file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MaestroNetwork {
    /// Network name (empty for a bare dataflow file).
    pub name: String,
    /// Layers in file order.
    pub layers: Vec<MappedLayer>,
    /// A `Dataflow { ... }` block found outside any layer.
    pub dataflow: Option<Mapping>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(u64),
    Punct(char),
}

struct Lexer {
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
    file: String,
    end: (usize, usize),
}

fn lex(text: &str, file: &str) -> Result<Lexer> {
    let mut toks = Vec::new();
    let (mut line, mut col) = (1usize, 1usize);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let perr = |line, column, message: String| SimError::Parse { file: file.to_string(), line, column, message };
    while i < chars.len() {
        let c = chars[i];
        let (l0, c0) = (line, col);
        if c == '\n' {
            line += 1;
            col = 1;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            col += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            // Names in MAESTRO's zoo carry dots and dashes (`torchvision.models.squeezenet`,
            // `Conv2d-1`).
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_.-".contains(chars[i])) {
                i += 1;
            }
            if i < chars.len() && chars[i] == '\'' {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            col += i - start;
            toks.push((Tok::Ident(s), l0, c0));
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            col += i - start;
            let v = s.parse::<u64>().map_err(|_| perr(l0, c0, format!("number `{s}` is too large")))?;
            toks.push((Tok::Num(v), l0, c0));
            continue;
        }
        if "{}(),;:".contains(c) {
            toks.push((Tok::Punct(c), l0, c0));
            i += 1;
            col += 1;
            continue;
        }
        return Err(perr(l0, c0, format!("unexpected character `{c}`")));
    }
    Ok(Lexer { toks, pos: 0, file: file.to_string(), end: (line, col) })
}

impl Lexer {
    fn err<T>(&self, message: String) -> Result<T> {
        let (line, column) = self.toks.get(self.pos).map_or(self.end, |t| (t.1, t.2));
        Err(SimError::Parse { file: self.file.clone(), line, column, message })
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn describe(&self) -> String {
        match self.peek() {
            None => "end of file".to_string(),
            Some(Tok::Ident(s)) => format!("`{s}`"),
            Some(Tok::Num(n)) => format!("`{n}`"),
            Some(Tok::Punct(c)) => format!("`{c}`"),
        }
    }
    fn expect(&mut self, c: char) -> Result<()> {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(format!("expected `{c}`, found {}", self.describe()))
        }
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> Result<String> {
        match self.peek() {
            Some(Tok::Ident(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => self.err(format!("expected a name, found {}", self.describe())),
        }
    }
    fn number(&mut self, consts: &HashMap<String, u64>) -> Result<u64> {
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Ident(s)) if consts.contains_key(&s) => {
                self.pos += 1;
                Ok(consts[&s])
            }
            _ => self.err(format!("expected a number, found {}", self.describe())),
        }
    }
}

/// Directive dimension names of a GEMM layer, translated to the convolution they are stored as.
fn dim_name(name: &str, gemm: bool) -> Option<Dim> {
    if gemm {
        return match name {
            "M" => Some(Dim::Y),
            "N" => Some(Dim::K),
            "K" => Some(Dim::C),
            _ => None,
        };
    }
    Dim::parse(name)
}

fn extent(lx: &mut Lexer, consts: &HashMap<String, u64>, gemm: bool) -> Result<Extent> {
    if let Some(Tok::Ident(s)) = lx.peek()
        && s == "Sz"
    {
        lx.pos += 1;
        lx.eat('(');
        let d = lx.ident()?;
        let Some(dim) = dim_name(&d, gemm) else {
            return lx.err(format!("unknown dimension `{d}` in Sz()"));
        };
        lx.eat(')');
        return Ok(Extent::Full(dim));
    }
    Ok(Extent::Fixed(lx.number(consts)?))
}

fn dataflow_block(lx: &mut Lexer, consts: &HashMap<String, u64>, gemm: bool) -> Result<Mapping> {
    lx.expect('{')?;
    let mut dirs = Vec::new();
    while !lx.eat('}') {
        let kw = lx.ident()?;
        lx.eat('(');
        match kw.as_str() {
            "SpatialMap" | "TemporalMap" => {
                let size = extent(lx, consts, gemm)?;
                lx.eat(',');
                let offset = extent(lx, consts, gemm)?;
                lx.eat(')');
                let d = lx.ident()?;
                let Some(dim) = dim_name(&d, gemm) else {
                    return lx.err(format!("unknown dimension `{d}`"));
                };
                lx.eat(';');
                dirs.push(if kw == "SpatialMap" {
                    Directive::Spatial { dim, size, offset }
                } else {
                    Directive::Temporal { dim, size, offset }
                });
            }
            "Cluster" => {
                let n = extent(lx, consts, gemm)?;
                let comma = lx.eat(',');
                match lx.peek() {
                    Some(Tok::Ident(kind)) if kind == "P" || kind == "L" => lx.pos += 1,
                    // After a comma a type must follow; without one the next directive may.
                    _ if comma => return lx.err(format!("cluster type must be P or L, found {}", lx.describe())),
                    _ => {}
                }
                lx.eat(')');
                lx.eat(';');
                dirs.push(Directive::Cluster(n));
            }
            other => return lx.err(format!("unknown directive `{other}`")),
        }
    }
    Ok(Mapping(dirs))
}

fn pairs(lx: &mut Lexer, consts: &HashMap<String, u64>) -> Result<Vec<(String, u64, usize)>> {
    lx.expect('{')?;
    let mut out: Vec<(String, u64, usize)> = Vec::new();
    while !lx.eat('}') {
        let at = lx.pos;
        let k = lx.ident()?;
        // MAESTRO's tokenizer treats `:` as a separator: its own zoo writes `K 64`.
        lx.eat(':');
        let v = lx.number(consts)?;
        // A repeat with the same value is harmless (MAESTRO's UNet_RS.m writes `N: 1, N: 1`);
        // with another value it is ambiguous.
        if let Some((_, first, _)) = out.iter().find(|(seen, _, _)| *seen == k) {
            if *first == v {
                lx.eat(',');
                continue;
            }
            lx.pos = at;
            return lx.err(format!("`{k}` is given twice, as {first} and {v}"));
        }
        out.push((k, v, at));
        lx.eat(',');
    }
    Ok(out)
}

fn layer_block(lx: &mut Lexer, consts: &HashMap<String, u64>) -> Result<MappedLayer> {
    let at = lx.pos;
    // The name is optional in MAESTRO (a nameless layer is called `Layer`).
    let name = if lx.peek() == Some(&Tok::Punct('{')) { "Layer".to_string() } else { lx.ident()? };
    lx.expect('{')?;
    let mut kind = None;
    let mut dims: Vec<(String, u64, usize)> = Vec::new();
    let mut stride = (1u64, 1u64);
    let mut dataflow = None;
    while !lx.eat('}') {
        let kw = lx.ident()?;
        match kw.as_str() {
            "Type" => {
                lx.eat(':');
                let t = lx.ident()?;
                let Some(k) = LayerType::parse(&t).filter(|k| *k != LayerType::Fc) else {
                    lx.pos -= 1;
                    return lx.err(format!("unknown layer type `{t}` (expected CONV, DSCONV, NGCONV, TRCONV or GEMM)"));
                };
                kind = Some(k);
            }
            "Stride" => {
                for (k, v, at) in pairs(lx, consts)? {
                    match k.as_str() {
                        "X" => stride.1 = v,
                        "Y" => stride.0 = v,
                        _ => {
                            lx.pos = at;
                            return lx.err(format!("unknown stride `{k}` (expected X or Y)"));
                        }
                    }
                }
            }
            "Dimensions" => dims = pairs(lx, consts)?,
            "Dataflow" => {
                let gemm = kind == Some(LayerType::Gemm);
                dataflow = Some(dataflow_block(lx, consts, gemm)?);
            }
            other => {
                lx.pos -= 1;
                return lx
                    .err(format!("unknown layer entry `{other}` (expected Type, Stride, Dimensions or Dataflow)"));
            }
        }
    }
    let Some(kind) = kind else {
        return lx.err(format!("layer `{name}` has no Type"));
    };
    let get = |k: &str| dims.iter().find(|d| d.0 == k).map(|d| d.1);
    let allowed: &[&str] =
        if kind == LayerType::Gemm { &["M", "N", "K"] } else { &["N", "G", "K", "C", "R", "S", "Y", "X"] };
    for (k, _, at) in &dims {
        if !allowed.contains(&k.as_str()) {
            lx.pos = *at;
            return lx.err(format!("unknown dimension `{k}` for a {kind} layer"));
        }
    }
    let mut layer = if kind == LayerType::Gemm {
        Layer::gemm(&name, get("M").unwrap_or(1), get("N").unwrap_or(1), get("K").unwrap_or(1))
    } else {
        Layer {
            name: name.clone(),
            kind,
            batch: get("N").unwrap_or(1),
            groups: if kind == LayerType::NgConv { get("G").unwrap_or(1) } else { 1 },
            k: get("K").unwrap_or(1),
            c: get("C").unwrap_or(1),
            r: get("R").unwrap_or(1),
            s: get("S").unwrap_or(1),
            y: get("Y").unwrap_or(1),
            x: get("X").unwrap_or(1),
            stride_y: stride.0,
            stride_x: stride.1,
        }
    };
    if kind == LayerType::Gemm {
        layer.batch = 1;
    }
    // Refused here, where the file and line are known, rather than when the layer is costed.
    if let Err(e) = layer.validate() {
        lx.pos = at;
        return lx.err(e.to_string());
    }
    Ok(MappedLayer { layer, dataflow })
}

/// Parse a MAESTRO mapping (or dataflow-only) file. `file` names the source in errors.
pub fn parse_mapping(text: &str, file: &str) -> Result<MaestroNetwork> {
    let mut lx = lex(text, file)?;
    let mut consts = HashMap::new();
    let mut net = MaestroNetwork::default();
    let mut seen_any = false;
    while lx.peek().is_some() {
        let kw = lx.ident()?;
        match kw.as_str() {
            "Constant" => {
                let name = lx.ident()?;
                lx.eat(':');
                let v = lx.number(&consts)?;
                lx.eat(';');
                consts.insert(name, v);
            }
            "Network" => {
                // The name is optional in MAESTRO.
                if lx.peek() != Some(&Tok::Punct('{')) {
                    net.name = lx.ident()?;
                }
                lx.expect('{')?;
                while !lx.eat('}') {
                    let kw = lx.ident()?;
                    if kw != "Layer" {
                        lx.pos -= 1;
                        return lx.err(format!("expected `Layer`, found `{kw}`"));
                    }
                    let mut layer = layer_block(&mut lx, &consts)?;
                    // As in MAESTRO, a layer without directives keeps the previous layer's.
                    if layer.dataflow.is_none() {
                        layer.dataflow = net.layers.last().and_then(|l: &MappedLayer| l.dataflow.clone());
                    }
                    net.layers.push(layer);
                }
                seen_any = true;
            }
            "Dataflow" => {
                net.dataflow = Some(dataflow_block(&mut lx, &consts, false)?);
                seen_any = true;
            }
            other => {
                lx.pos -= 1;
                return lx.err(format!("expected `Constant`, `Network` or `Dataflow`, found `{other}`"));
            }
        }
    }
    if !seen_any {
        return lx.err("the file has no Network or Dataflow block".to_string());
    }
    Ok(net)
}

/// Parse a MAESTRO hardware file into a configuration (defaults for absent keys; see
/// [`HardwareConfig::new`]). Call [`HardwareConfig::build`] to validate it.
///
/// ```
/// let hw = edgeopt_accel_sim::maestro_file::parse_hardware("NumPEs: 256\nL1Size: 256\nL2Size: 4096\nNoC_BW: 64\nNoC_NumHops: 1\n", "hw.m").unwrap();
/// assert_eq!((hw.num_pes, hw.noc_bw), (256, 64));
/// ```
pub fn parse_hardware(text: &str, file: &str) -> Result<HardwareConfig> {
    let mut hw = HardwareConfig::new(256, 64, 64);
    let no_consts = HashMap::new();
    let mut lx = lex(text, file)?;
    let mut seen: Vec<&'static str> = Vec::new();
    while lx.peek().is_some() {
        let at = lx.pos;
        let key = lx.ident()?;
        lx.eat(':');
        let v = lx.number(&no_consts)?;
        lx.eat(';');
        // MAESTRO's own hardware files (`data/hw/*.m`) use the `*_cstr` names.
        let (canonical, slot) = match key.to_ascii_lowercase().as_str() {
            "numpes" | "num_pes" => ("NumPEs", &mut hw.num_pes),
            "l1size" | "l1_size" | "l1_size_cstr" => ("L1Size", &mut hw.l1_bytes),
            "l2size" | "l2_size" | "l2_size_cstr" => ("L2Size", &mut hw.l2_bytes),
            "noc_bw" | "nocbw" | "noc_bw_cstr" => ("NoC_BW", &mut hw.noc_bw),
            "noc_numhops" | "noc_hops" => ("NoC_NumHops", &mut hw.noc_hops),
            "noc_hoplatency" | "noc_hop_latency" => ("NoC_HopLatency", &mut hw.hop_latency),
            "offchip_bw" | "offchipbw" | "offchip_bw_cstr" => ("OffChip_BW", &mut hw.offchip_bw),
            "vectorwidth" | "vector_width" => ("VectorWidth", &mut hw.vector_width),
            "elementbytes" | "element_bytes" => ("ElementBytes", &mut hw.element_bytes),
            _ => {
                lx.pos = at;
                return lx.err(format!("unknown hardware key `{key}`"));
            }
        };
        if seen.contains(&canonical) {
            lx.pos = at;
            return lx.err(format!("hardware key `{key}` sets {canonical} a second time"));
        }
        seen.push(canonical);
        *slot = v;
    }
    Ok(hw)
}

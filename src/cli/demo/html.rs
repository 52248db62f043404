//! `index.html`: the report as one self-contained page — the markdown's headings, paragraphs,
//! lists and tables as HTML, each figure's SVG inlined (no network, no framework) — plus a small
//! script that records whether every figure laid out with a visible area and nothing overflows
//! the page width, for the headless-browser check in CI (`.ci/check_report.py`).

use std::fmt::Write as _;
use std::path::Path;

use crate::cli::{CliResult, io_err};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;\
line-height:1.45;color:#222}table{border-collapse:collapse;margin:1rem 0;display:block;overflow-x:auto;max-width:100%}\
th,td{border:1px solid #ccc;padding:.25rem .5rem}td.r,th.r{text-align:right}figure{margin:1.5rem 0}\
figure svg{max-width:100%;height:auto;display:block}figcaption{font-size:.9rem;color:#555}\
.hover{font:.8rem monospace;color:#555;min-height:1.2em}\
code{background:#f3f3f3;padding:0 .2rem;overflow-wrap:anywhere}";

/// Records the layout of every figure in `document.body.dataset.check` (JSON) once loaded.
const CHECK: &str = "addEventListener('load',()=>{const w=document.documentElement.clientWidth;\
const figs=[...document.querySelectorAll('figure')].map(f=>{const s=f.querySelector('svg');\
const r=s?s.getBoundingClientRect():{width:0,height:0,right:0};\
return{id:f.id,width:r.width,height:r.height,right:r.right,shapes:s?s.querySelectorAll('path,line,rect,circle,polyline,polygon,text').length:0}});\
document.body.dataset.check=JSON.stringify({page_width:w,scroll_width:document.documentElement.scrollWidth,figures:figs});});";

/// Hover values: under the pointer, a chart's data coordinates (from the `data-axes` mapping the
/// plots write on their SVG root) are shown in a line under the figure.
const HOVER: &str = "addEventListener('load',()=>{document.querySelectorAll('svg[data-axes]').forEach(s=>{\
const[a,b,c,d,x0,x1,y0,y1,lx,ly]=s.dataset.axes.split(' ').map(Number);\
const o=document.createElement('div');o.className='hover';o.textContent='\u{a0}';s.after(o);\
const f=v=>Math.abs(v)>=1e4||(v!==0&&Math.abs(v)<1e-2)?v.toExponential(2):String(+v.toPrecision(3));\
s.addEventListener('mousemove',e=>{const p=new DOMPoint(e.clientX,e.clientY).matrixTransform(s.getScreenCTM().inverse());\
if(p.x<a||p.x>b||p.y<c||p.y>d){o.textContent='\u{a0}';return}\
let x=x0+(p.x-a)/(b-a)*(x1-x0),y=y1-(p.y-c)/(d-c)*(y1-y0);if(lx)x=10**x;if(ly)y=10**y;\
o.textContent='x ≈ '+f(x)+', y ≈ '+f(y)});\
s.addEventListener('mouseleave',()=>{o.textContent='\u{a0}'})})});";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Inline markup of one line: `**bold**` and `` `code` `` (text is escaped first).
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in escape(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            for (j, piece) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    let _ = write!(out, "<strong>{piece}</strong>");
                } else {
                    out.push_str(piece);
                }
            }
        }
    }
    out
}

fn cells(row: &str) -> Vec<&str> {
    row.trim().trim_matches('|').split('|').map(str::trim).collect()
}

fn table(lines: &[&str], out: &mut String) {
    let right: Vec<bool> =
        lines.get(1).map(|l| cells(l).iter().map(|c| c.ends_with(':')).collect()).unwrap_or_default();
    out.push_str("<table>\n");
    for (i, l) in lines.iter().enumerate().filter(|(i, _)| *i != 1) {
        let tag = if i == 0 { "th" } else { "td" };
        out.push_str("<tr>");
        for (j, c) in cells(l).iter().enumerate() {
            let class = if right.get(j).copied().unwrap_or(false) { " class=\"r\"" } else { "" };
            let _ = write!(out, "<{tag}{class}>{}</{tag}>", inline(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// A figure line `![caption](file.svg)`, if this is one.
fn figure_of(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix("![")?;
    let (alt, rest) = rest.split_once("](")?;
    let file = rest.strip_suffix(')')?;
    Some((alt, file))
}

/// The page for `md`, with the SVG files it references read from `dir`.
pub fn render(md: &str, dir: &Path) -> CliResult<String> {
    let title = md.lines().find_map(|l| l.strip_prefix("# ")).unwrap_or("edgeopt report");
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style><script>{CHECK}{HOVER}</script></head>\n<body>\n",
        escape(title)
    );
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |p: &mut Vec<&str>, out: &mut String| {
        if !p.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", inline(&p.join(" ")));
            p.clear();
        }
    };
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            flush(&mut paragraph, &mut out);
        } else if let Some(h) = (1..=4).find(|&n| line.starts_with(&format!("{} ", "#".repeat(n)))) {
            flush(&mut paragraph, &mut out);
            let _ = writeln!(out, "<h{h}>{}</h{h}>", inline(&line[h + 1..]));
        } else if line.trim_start().starts_with('|') {
            flush(&mut paragraph, &mut out);
            let start = i;
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                i += 1;
            }
            table(&lines[start..i], &mut out);
            continue;
        } else if let Some((alt, file)) = figure_of(line) {
            flush(&mut paragraph, &mut out);
            let path = dir.join(file);
            let svg = std::fs::read_to_string(&path).map_err(io_err(&path))?;
            let svg = svg.trim_start_matches(|c| c != '<');
            let svg = match svg.strip_prefix("<?xml") {
                Some(rest) => rest.split_once("?>").map_or(rest, |(_, s)| s).trim_start(),
                None => svg,
            };
            let id = file.trim_end_matches(".svg");
            let _ = writeln!(
                out,
                "<figure id=\"{}\" role=\"img\" aria-label=\"{}\">{svg}<figcaption>{}</figcaption></figure>",
                escape(id),
                escape(alt),
                inline(alt)
            );
        } else if let Some(item) = line.trim_start().strip_prefix("- ") {
            flush(&mut paragraph, &mut out);
            out.push_str("<ul>\n");
            let _ = writeln!(out, "<li>{}</li>", inline(item));
            while let Some(next) = lines.get(i + 1).and_then(|l| l.trim_start().strip_prefix("- ")) {
                let _ = writeln!(out, "<li>{}</li>", inline(next));
                i += 1;
            }
            out.push_str("</ul>\n");
        } else {
            paragraph.push(line);
        }
        i += 1;
    }
    flush(&mut paragraph, &mut out);
    out.push_str("</body></html>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_a_self_contained_page() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.svg"), "<?xml version=\"1.0\"?>\n<svg viewBox=\"0 0 10 10\"><rect/></svg>")
            .unwrap();
        let md = "# Title\n\nSome **bold** and `a<b`\ntext.\n\n| a | b |\n|---|---:|\n| 1 | 2 |\n\n- one\n- two\n\n![The figure](f.svg)\n";
        let html = render(md, dir.path()).unwrap();
        assert!(html.contains("<title>Title</title>") && html.contains("<h1>Title</h1>"));
        assert!(html.contains("<p>Some <strong>bold</strong> and <code>a&lt;b</code> text.</p>"));
        assert!(html.contains("<th>a</th><th class=\"r\">b</th>") && html.contains("<td class=\"r\">2</td>"));
        assert!(html.contains("<ul>\n<li>one</li>\n<li>two</li>\n</ul>"));
        assert!(html.contains("<figure id=\"f\" role=\"img\" aria-label=\"The figure\"><svg viewBox"));
        assert!(!html.contains("<?xml") && !html.contains("src=") && !html.contains("href="));
        assert!(render("![x](missing.svg)", dir.path()).unwrap_err().to_string().contains("missing.svg"));
    }
}

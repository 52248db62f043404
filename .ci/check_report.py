#!/usr/bin/env python3
"""Render the demo report's index.html in headless Chromium and check what a reader would see:
the page loaded, every figure laid out with a visible, non-empty area, nothing wider than the
page, and the charts show data values under the pointer (a probe copy of the page moves a synthetic
pointer to the middle of each chart's plot area). Usage: check_report.py REPORT_DIR [PNG_OUT]. The screenshot goes to PNG_OUT (default:
a temporary file), never into the repository."""

import html
import json
import math
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2000",
]


# Appended to a probe copy of the page: after load, a pointer move to the middle of each chart's
# plot area, and what the hover line then says, in body[data-hover].
PROBE = """<script>addEventListener('load',()=>{const r=[];
document.querySelectorAll('svg[data-axes]').forEach(s=>{const[a,b,c,d]=s.dataset.axes.split(' ').map(Number);
const m=s.getScreenCTM();const p=new DOMPoint((a+b)/2,(c+d)/2).matrixTransform(m);
s.dispatchEvent(new MouseEvent('mousemove',{clientX:p.x,clientY:p.y,bubbles:true}));
r.push(s.nextElementSibling?s.nextElementSibling.textContent:'')});
document.body.dataset.hover=JSON.stringify(r)});</script>"""


def hover_values(common, page: pathlib.Path, tmp: str) -> list:
    probe = pathlib.Path(tmp) / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run(
        [*common, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    found = re.search(r'data-hover="([^"]*)"', dom)
    assert found, "the probe page did not finish loading"
    return json.loads(html.unescape(found.group(1)))


def main() -> int:
    report = pathlib.Path(sys.argv[1]).resolve()
    page = report / "index.html"
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert browser, "no Chromium found (the CI script installs Debian's chromium package)"
    assert page.is_file(), f"{page} is missing"
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org/", "") and "https://" not in text, "the page must be self-contained"
    with tempfile.TemporaryDirectory() as profile:
        common = [browser, *FLAGS, f"--user-data-dir={profile}"]
        dom = subprocess.run(
            [*common, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
        ).stdout
        png = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else pathlib.Path(profile) / "report.png"
        subprocess.run([*common, f"--screenshot={png}", page.as_uri()], capture_output=True, timeout=120)
        assert png.is_file() and png.stat().st_size > 10_000, "the screenshot is missing or blank"
        hovers = hover_values(common, page, profile)
    found = re.search(r'data-check="([^"]*)"', dom)
    assert found, "the page did not finish loading (no layout record)"
    check = json.loads(html.unescape(found.group(1)))
    figures = check["figures"]
    expected = len(re.findall(r"!\[[^\]]*\]\([^)]*\.svg\)", (report / "report.md").read_text(encoding="utf-8")))
    assert len(figures) == expected > 0, f"{len(figures)} figures rendered, report.md has {expected}"
    for f in figures:
        assert f["width"] > 100 and f["height"] > 100, f"figure {f['id']} is collapsed: {f}"
        assert f["shapes"] > 5, f"figure {f['id']} has nothing drawn: {f}"
        assert f["right"] <= check["page_width"] + 0.5, f"figure {f['id']} overflows the page: {f}"
    assert check["scroll_width"] <= check["page_width"], f"the page scrolls sideways: {check}"
    assert hovers, "no chart carries its axes mapping (data-axes)"
    for h in hovers:
        found_xy = re.fullmatch(r"x ≈ (\S+), y ≈ (\S+)", h)
        assert found_xy, f"a chart shows no value under the pointer: {h!r}"
        assert all(math.isfinite(float(v)) for v in found_xy.groups()), f"a chart shows a non-finite value: {h!r}"
    print(
        f"report OK in {pathlib.Path(browser).name}: {len(figures)} figures, page width {check['page_width']} px, "
        f"hover values on {len(hovers)} charts (e.g. {hovers[0]})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

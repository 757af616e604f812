"""What a person must see on report.html, checked in Chromium: used by the integration tests and by `make demo`.

``check(report_dir, png_path)`` renders the page (screenshot kept at ``png_path``) and asserts, against report.json:
the page is self-contained; the timeline's SVG has a band per batch, a bar per node and stage, and a mark per kubelet
restart - in the page as written and in the DOM Chromium built; the text a person reads is laid out and painted (the
PDF Chromium prints): the run, every batch, every node with its status, every suggested profile's syscalls; and the
screenshot has the timeline's colours in it. Returns what it counted.
"""

import json
import os
import re
import xml.etree.ElementTree as ET

from lib import browser

SVG = "{http://www.w3.org/2000/svg}"
# The timeline's colours (plugins/module_utils/report_html.py STYLE): done, held, failed.
TONES = {"ok": (0x12, 0xB7, 0x6A), "held": (0xF7, 0x90, 0x09), "bad": (0xF0, 0x44, 0x38)}
FETCHES = re.compile(r"<script|<link|<img|<iframe|<object|<embed|\ssrc=|\shref=|url\(|@import", re.I)


def svg_of(text):
    start = text.index('<svg id="timeline"')
    return ET.fromstring(text[start:text.index("</svg>", start) + len("</svg>")])


def elements(svg, tag, cls):
    return [node for node in svg.iter(SVG + tag) if cls in (node.get("class") or "").split()]


def expected(report):
    """(batches, {(host, stage)}, restarts, tones) the timeline must show."""
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import report_html
    bars, restarts, batches, tones = set(), 0, set(), set()
    for batch, host, entry in report_html.rows(report):
        found = report_html.spans(entry)
        for stage, _start, _end, record in found:
            bars.add((host, stage))
            tones.add(report_html.TONES.get(record["result"], "none"))
        if found:
            batches.add(batch)
        restarts += len(report_html.restarts(entry))
    return batches, bars, restarts, tones


def check(report_dir, png_path):
    page = os.path.join(report_dir, "report.html")
    with open(page) as handle:
        text = handle.read()
    with open(os.path.join(report_dir, "report.json")) as handle:
        report = json.load(handle)
    assert not FETCHES.search(text), "the page would fetch something: %s" % FETCHES.search(text).group(0)
    batches, bars, restarts, tones = expected(report)

    for source, markup in (("page", text), ("Chromium's DOM", browser.rendered_dom(page))):
        svg = svg_of(markup)
        drawn = set((rect.get("data-host"), rect.get("data-stage")) for rect in elements(svg, "rect", "stage"))
        assert drawn == bars, "%s: timeline bars %s, expected %s" % (source, sorted(drawn), sorted(bars))
        bands = set(rect.get("data-batch") for rect in elements(svg, "rect", "batch"))
        assert bands == set(str(batch) for batch in batches), "%s: batch bands %s, expected %s" % (source, bands, batches)
        marks = [line for line in elements(svg, "line", "restart") if line.get("data-host")]
        assert len(marks) == restarts, "%s: %d restart marks, expected %d" % (source, len(marks), restarts)
        labels = set(node.text for node in elements(svg, "text", "node-label"))
        assert labels == set(report["nodes"]), "%s: node labels %s" % (source, labels)

    seen = " ".join(browser.visible_text(page).split())
    wanted = ["SeccompDefault rollout report", "Timeline", "Batches", (report.get("run") or {}).get("id") or "(no run.json)"]
    wanted += ["Batch %s" % batch for batch in batches if batch is not None]
    wanted += ["%s %s" % (host, entry["status"]) for host, entry in report["nodes"].items()]
    for item in report["suggested_profiles"]:
        wanted += ["%s/%s %s on %s" % (item["namespace"], item["pod"], item["container"], item["host"]),
                   "Adds: " + ", ".join(item["syscalls"])]
    missing = [words for words in wanted if words not in seen]
    assert not missing, "not visible on the page: %s\n--- visible text:\n%s" % (missing, seen[:6000])

    browser.screenshot(page, png_path)
    painted = browser.colours(png_path)
    for tone in tones & set(TONES):
        assert TONES[tone] in painted, "the screenshot has no %s bar (%s)" % (tone, "#%02x%02x%02x" % TONES[tone])
    return dict(batches=len(batches), bars=len(bars), restarts=restarts, tones=sorted(tones), visible=len(wanted))

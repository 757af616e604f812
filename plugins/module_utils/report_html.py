# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""report.html: the run's report as one page a person reads in a browser, from report.json.

Self-contained: the styles are inline, the timeline is inline SVG, nothing is fetched and no script runs, so the
page reads the same from an artifact store, an e-mail attachment or a laptop without network. It shows the run, the
batches with each node's stages, results and reasons (rollout_report.what_happened, as in summary.md), a timeline
of the batches and stages against time with the kubelet restarts marked, and the suggested profiles with the
syscalls they add and how to ship them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import html

from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_report, spo

STAGES = ("feature_gate", "audit", "enforce")
# A result's colour class: done, held (expected, not a failure), failed, or nothing done in this run.
TONES = {"changed": "ok", "unchanged": "ok", "with switch": "ok", "passed": "ok", "enforced": "ok",
         "held": "held", "failed": "bad", "rolled back": "bad", "stopped": "bad",
         "skipped": "none", "planned": "none", "not retried": "none"}
STYLE = """
body { font: 14px/1.45 "DejaVu Sans", Arial, sans-serif; color: #1d2430; margin: 24px; max-width: 1180px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d0d5dd; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: #475467; } .cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 14px 0; }
.card { border: 1px solid #d0d5dd; border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.card b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; }
th, td { border: 1px solid #d0d5dd; padding: 5px 7px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; } tr.node td:nth-child(-n+2) { white-space: nowrap; }
@page { size: A3 landscape; margin: 12mm; } code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre { background: #f8f9fb; border: 1px solid #e4e7ec; padding: 8px; white-space: pre-wrap; }
.ok { color: #067647; } .held { color: #b54708; } .bad { color: #b42318; } .none { color: #667085; }
.result { font-weight: bold; }
svg text { font: 12px "DejaVu Sans", Arial, sans-serif; fill: #1d2430; }
svg .axis { stroke: #98a2b3; } svg .grid { stroke: #eaecf0; }
svg rect.batch { fill: #f2f4f7; stroke: #d0d5dd; }
svg rect.stage-ok { fill: #12b76a; } svg rect.stage-held { fill: #f79009; } svg rect.stage-bad { fill: #f04438; }
svg rect.stage-none { fill: #d0d5dd; } svg line.restart { stroke: #1d2939; stroke-width: 2; }
svg path.restart { fill: #1d2939; }
"""


def esc(value):
    return html.escape("%s" % ("" if value is None else value), quote=True)


def when(text):
    """A report time (ISO 8601) as seconds since the epoch, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return (moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()


def batch_of(entry, stages):
    """The node's batch number: that of the first stage of the run it was in a batch for."""
    numbers = [entry["batches"][stage] for stage in stages if stage in entry["batches"]]
    return numbers[0] if numbers else None


def rows(report):
    """[(batch number or None, host, entry)] in batch order, then by host."""
    stages = (report.get("run") or {}).get("stages") or list(STAGES)
    found = [(batch_of(entry, stages), host, entry) for host, entry in report["nodes"].items()]
    return sorted(found, key=lambda item: (item[0] is None, item[0] or 0, item[1]))


def spans(entry):
    """Per stage of the node: (stage, start, end, record), from the batch's start on the node to the record."""
    found = []
    for stage in ("preflight",) + STAGES:
        record = entry["stages"].get(stage)
        if record is None:
            continue
        end = when(record.get("recorded_at"))
        start = when(record.get("started_at"))
        if end is None:
            continue
        found.append((stage, start if start is not None and start <= end else end, end, record))
    return found


def restarts(entry):
    return sorted(set(at for record in entry["stages"].values() for at in (when(t) for t in record.get("kubelet_restarts") or []) if at))


def step(seconds):
    for candidate in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400):
        if seconds / candidate <= 10:
            return candidate
    return 86400 * max(1, int(seconds / 86400 / 10) + 1)


def duration(seconds):
    seconds = int(round(seconds))
    if seconds < 120:
        return "%d s" % seconds
    if seconds < 7200:
        return "%d min" % (seconds // 60) + (" %d s" % (seconds % 60) if seconds % 60 else "")
    return "%d h %d min" % (seconds // 3600, seconds % 3600 // 60)


def timeline(report):
    """The run as inline SVG: a band per batch, a row per node with a lane per stage, a mark per kubelet restart."""
    ordered = [(batch, host, entry, spans(entry), restarts(entry)) for batch, host, entry in rows(report)]
    times = [t for _b, _h, _e, found, marks in ordered for _s, start, end, _r in found for t in (start, end)]
    times += [t for _b, _h, _e, _f, marks in ordered for t in marks]
    begin = when((report.get("run") or {}).get("started"))
    if begin is not None:
        times.append(begin)
    if not times:
        return '<p class="none">No stage has been recorded yet: nothing to draw.</p>'
    first, last = min(times), max(times)
    total = max(last - first, 1.0)
    left, width, lane, row_gap, top = 190, 760, 9, 10, 34
    scale = width / total

    def x(moment):
        return left + (moment - first) * scale

    row_height = lane * len(STAGES) + row_gap
    height = top + row_height * len(ordered) + 16 * len(set(b for b, _h, _e, _f, _m in ordered)) + 30
    parts = ['<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
             'aria-label="Timeline of the run">' % (left + width + 30, height, left + width + 30, height),
             "<title>Batches and stages against time; black marks are kubelet restarts</title>"]
    tick = step(total)
    moment = 0
    while moment <= total + 0.001:
        parts.append('<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x(first + moment), top - 6, x(first + moment), height - 24))
        parts.append('<text class="tick" x="%.1f" y="%d" text-anchor="middle">+%s</text>' % (x(first + moment), top - 12, esc(duration(moment))))
        moment += tick
    y = top
    for batch in sorted(set(b for b, _h, _e, _f, _m in ordered), key=lambda b: (b is None, b or 0)):
        members = [item for item in ordered if item[0] == batch]
        band = [t for _b, _h, _e, found, _m in members for _s, start, end, _r in found for t in (start, end)]
        label = "batch %s" % batch if batch is not None else "not in a batch"
        band_height = row_height * len(members) + 14
        if band:
            parts.append('<rect class="batch" data-batch="%s" x="%.1f" y="%d" width="%.1f" height="%d" rx="3"><title>%s: %s to %s</title></rect>' % (
                esc(batch), x(min(band)) - 3, y, max(x(max(band)) - x(min(band)), 1) + 6, band_height, esc(label),
                esc(duration(min(band) - first)), esc(duration(max(band) - first))))
        parts.append('<text class="batch-label" x="4" y="%d" font-weight="bold">%s</text>' % (y + 12, esc(label)))
        y += 14
        for _batch, host, entry, found, marks in members:
            parts.append('<text class="node-label" x="14" y="%d">%s</text>' % (y + lane + 6, esc(host)))
            for stage, start, end, record in found:
                number = STAGES.index(stage) if stage in STAGES else 0
                tone = TONES.get(record.get("result"), "none")
                parts.append('<rect class="stage stage-%s" data-host="%s" data-stage="%s" data-result="%s" x="%.1f" y="%d" width="%.1f" '
                             'height="%d"><title>%s %s: %s (%s)</title></rect>' % (
                                 tone, esc(host), esc(stage), esc(record.get("result")), x(start), y + number * lane,
                                 max(x(end) - x(start), 4.0), lane - 2, esc(host), esc(rollout_report.STAGE_TITLES.get(stage, stage)),
                                 esc(record.get("result")), esc(duration(end - start))))
            for mark in marks:
                parts.append('<line class="restart" data-host="%s" x1="%.1f" y1="%d" x2="%.1f" y2="%d"><title>%s: kubelet restarted at +%s</title></line>' % (
                    esc(host), x(mark), y - 2, x(mark), y + lane * len(STAGES), esc(host), esc(duration(mark - first))))
                parts.append('<path class="restart" d="M %.1f %d l -4 -6 h 8 z"/>' % (x(mark), y - 2))
            y += row_height
        y += 2
    legend_y = height - 8
    parts.append('<text x="4" y="%d">lanes: gate, audit, enforce</text>' % legend_y)
    for offset, (tone, words) in enumerate((("ok", "done"), ("held", "held"), ("bad", "failed, rolled back"), ("none", "skipped, planned"))):
        parts.append('<rect class="stage-%s" x="%d" y="%d" width="12" height="9"/><text x="%d" y="%d">%s</text>' % (
            tone, left + offset * 130, legend_y - 9, left + 16 + offset * 130, legend_y, esc(words)))
    parts.append('<line class="restart" x1="%d" y1="%d" x2="%d" y2="%d"/><text x="%d" y="%d">kubelet restart</text>' % (
        left + 4 * 130, legend_y - 10, left + 4 * 130, legend_y, left + 4 * 130 + 6, legend_y))
    parts.append("</svg>")
    caption = '<p class="meta">From %s, %s in all.</p>' % (
        esc(datetime.datetime.fromtimestamp(first, datetime.timezone.utc).isoformat()), esc(duration(total)))
    return "\n".join(parts) + caption


def cell(stage, record):
    if record is None:
        return "<td class=\"none\">-</td>"
    tone = TONES.get(record.get("result"), "none")
    check = " (check mode)" if record.get("check_mode") else ""
    return '<td><span class="result %s">%s%s</span><br>%s</td>' % (
        tone, esc(record.get("result")), esc(check), esc(rollout_report.what_happened(stage, record)))


def batches_section(report):
    out = ["<h2>Batches</h2>"]
    groups = []
    for batch, host, entry in rows(report):
        if not groups or groups[-1][0] != batch:
            groups.append((batch, []))
        groups[-1][1].append((host, entry))
    for batch, members in groups:
        out.append('<h3 class="batch-title">%s</h3>' % esc("Batch %s" % batch if batch is not None else "Not in a batch"))
        out.append("<table><tr><th>node</th><th>status</th><th>feature gate</th><th>audit</th><th>enforce</th></tr>")
        for host, entry in members:
            tone = "bad" if entry["failed"] else "held" if entry["held"] else "ok" if entry["stages"] else "none"
            first = "preflight" if "preflight" in entry["stages"] else "feature_gate"
            out.append('<tr class="node" data-host="%s"><td>%s</td><td class="result %s">%s</td>%s%s%s</tr>' % (
                esc(host), esc(host), tone, esc(entry["status"]), cell(first, entry["stages"].get(first)),
                cell("audit", entry["stages"].get("audit")), cell("enforce", entry["stages"].get("enforce"))))
        out.append("</table>")
    return "\n".join(out)


def suggestions_section(report):
    suggested = report.get("suggested_profiles") or []
    if not suggested:
        return ""
    out = ["<h2>Suggested profiles</h2>",
           "<p>kubernetes/default plus exactly the syscalls each workload was seen to need. Ship each as a Localhost file, or apply "
           "<code>suggested-profiles/seccompprofiles.yaml</code> with the Security Profiles Operator.</p>"]
    for item in suggested:
        out.append('<h3 class="suggestion">%s/%s %s on %s</h3>' % (esc(item["namespace"]), esc(item["pod"]), esc(item["container"]), esc(item["host"])))
        out.append('<p>Adds: %s</p>' % ", ".join('<code class="syscall">%s</code>' % esc(name) for name in item["syscalls"]))
        out.append("<p>Localhost profile: <code>%s</code></p>" % esc(item["path"]))
        if item.get("seccomp_profile"):
            base = (" (base <code>%s</code>)" % esc(item["base_profile"])) if item.get("base_profile") else (
                " (the whole profile: %s)" % esc(item.get("why_whole")))
            out.append("<p>SeccompProfile: <code>%s</code>%s</p>" % (esc(item["seccomp_profile"]), base))
            # The same words as the .security-context.yaml file beside the profile.
            out.append("<pre>%s</pre>" % esc(spo.snippet(item)))
        elif item.get("not_shippable"):
            out.append('<p class="none">No SeccompProfile: %s</p>' % esc(item["not_shippable"]))
    return "\n".join(out)


def keeping_section(report):
    kept = rollout_report.keeping(report)
    if not kept:
        return ""
    out = ["<h2>Keeping it on</h2>",
           "<p>What owns each node's kubelet configuration may write it again and turn seccompDefault off; set it there too.</p>",
           "<table><tr><th>node</th><th>configuration owned by</th><th>rewritten by</th><th>to keep seccompDefault on, set</th>"
           "<th>this run's change</th></tr>"]
    for item in kept:
        out.append('<tr class="keeping"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % tuple(
            esc(item[key]) for key in ("host", "title", "rewritten_by", "keep_with", "lasts")))
    out.append("</table>")
    return "\n".join(out)


def page(report):
    run = report.get("run") or {}
    totals = report["totals"]
    cards = [("nodes", totals["nodes"], "")] + [(status, count, "") for status, count in sorted(totals["by_status"].items())]
    cards += [("held", totals["held"], "held"), ("failed", totals["failed"], "bad" if totals["failed"] else "ok")]
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>SeccompDefault rollout %s</title>" % esc(run.get("id") or ""), "<style>%s</style></head><body>" % STYLE,
             "<h1>SeccompDefault rollout report</h1>",
             '<p class="meta">Run <b>%s</b>, started %s; stages %s; batches of %s%s. Rebuilt %s.</p>' % (
                 esc(run.get("id") or "(no run.json)"), esc(run.get("started")), esc(", ".join(run.get("stages") or [])),
                 esc(run.get("serial")), esc(" - check mode: nothing was changed" if run.get("check_mode") else ""), esc(report.get("generated"))),
             '<div class="cards">%s</div>' % "".join(
                 '<div class="card %s"><b>%s</b>%s</div>' % (tone, esc(count), esc(name)) for name, count, tone in cards),
             "<h2>Timeline</h2>", timeline(report), batches_section(report), suggestions_section(report),
             keeping_section(report)]
    if report.get("unreadable"):
        parts.append("<h2>Records that could not be read</h2><ul>%s</ul>" % "".join(
            "<li>%s: %s</li>" % (esc(item["path"]), esc(item["problem"])) for item in report["unreadable"]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

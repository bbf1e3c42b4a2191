"""Self-contained HTML pages (styles and script inline; nothing fetched when opened): a playbook's
topology, and the report of a `play` run — the topology coloured by each element's verdicts above every
check with its claim, what was asked, what the engine kept, what the kernel showed, the verdict and
the evidence, filterable by verdict and host (also from the address: `report.html#verdict=failing&host=h1`).
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from dockerctl.errors import DockerctlError
from dockerctl.ops.play import PlayReport
from dockerctl.pictures.dot import svg, to_dot
from dockerctl.pictures.files import write_text
from dockerctl.pictures.scene import Scene, elements_of, scene_of
from dockerctl.spec.playbook import Playbook, load_playbook

STYLE = """
body{font-family:Helvetica,Arial,sans-serif;margin:1.5em;color:#1a202c}
h1{font-size:1.4em;margin:0 0 .3em} .sum{margin:.2em 0 1em;color:#4a5568}
.ok{color:#276749} .bad{color:#c53030} .error{background:#fed7d7;border:1px solid #c53030;padding:.6em;
margin:.6em 0;white-space:pre-wrap}
.picture{overflow:auto;border:1px solid #e2e8f0;padding:.5em;margin:.6em 0}
table{border-collapse:collapse;width:100%;font-size:.85em} th,td{border:1px solid #e2e8f0;padding:.3em .4em;
text-align:left;vertical-align:top} th{background:#edf2f7}
tr.v-fails td.verdict{background:#fed7d7} tr.v-holds td.verdict{background:#c6f6d5}
tr.v-unknown td.verdict{background:#fefcbf} td.evidence{font-family:monospace;word-break:break-all}
.filters{margin:.6em 0} .filters label{margin-right:1em} .legend span{padding:0 .5em;margin-right:.4em}
"""

SCRIPT = """
(function(){
  const v=document.getElementById('f-verdict'), h=document.getElementById('f-host');
  const rows=[...document.querySelectorAll('#checks tbody tr')];
  function apply(){
    let shown=0;
    for(const r of rows){
      const okV = v.value==='all' || (v.value==='failing' ? r.dataset.ok==='false' : r.dataset.verdict===v.value);
      const okH = h.value==='all' || r.dataset.hosts.split(' ').includes(h.value);
      r.hidden = !(okV && okH); if(!r.hidden) shown++;
    }
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' checks shown';
    const want = '#verdict=' + encodeURIComponent(v.value) + '&host=' + encodeURIComponent(h.value);
    if(location.hash !== want) try { history.replaceState(null, '', want); } catch(e) {}
  }
  const q = new URLSearchParams(location.hash.slice(1));
  for(const [sel,key] of [[v,'verdict'],[h,'host']]){
    const want=q.get(key); if(want && [...sel.options].some(o=>o.value===want)) sel.value=want;
    sel.addEventListener('change', apply);
  }
  apply();
})();
"""


def _page(title: str, body: str, script: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n{body}\n"
        + (f"<script>{script}</script>" if script else "")
        + "</body></html>\n"
    )


def _legend() -> str:
    return (
        '<p class="legend">'
        '<span style="background:#c6f6d5">every check holds</span>'
        '<span style="background:#fed7d7">a check does not hold</span>'
        '<span style="background:#fefcbf">a check could not be read</span>'
        '<span style="background:#feb2b2">the playbook\'s error is here</span>'
        '<span style="border:1px solid #a0aec0">not checked</span></p>'
    )


def _live_legend() -> str:
    return (
        '<p class="legend">'
        '<span style="background:#c6f6d5">as the playbook asks</span>'
        '<span style="background:#fed7d7">differs or missing (≠ says how)</span>'
        '<span style="background:#fefcbf">not in the playbook, or its host did not answer</span></p>'
    )


def write_graph(scene: Scene, out: Path | None, live: dict[str, str] | None = None) -> str:
    """The picture to `out` by its suffix (.svg, .html, .dot); with no `out` the DOT text is returned.
    `live`: each element's state against what its hosts show now (`graph --live`)."""
    dot_text = to_dot(scene, live)
    if out is None:
        return dot_text
    suffix = out.suffix.lower()
    if suffix == ".dot":
        write_text(out, dot_text, "--out")
    elif suffix == ".svg":
        write_text(out, svg(dot_text), "--out")
    else:
        error = f'<div class="error" id="playbook-error">{escape(scene.error)}</div>' if scene.error else ""
        said = (
            f"as its hosts show it now, against {escape(scene.source)}"
            if live is not None
            else f"the topology {escape(scene.source)} asks for"
        )
        legend = _live_legend() if live is not None else _legend()
        body = (
            f'<h1>{escape(scene.name)}</h1><p class="sum">{said}</p>'
            f'{error}{legend}<div class="picture">{svg(dot_text)}</div>'
        )
        write_text(out, _page(f"{scene.name}: topology", body), "--out")
    return ""


def _state(states: list[str]) -> str:
    return "fails" if "fails" in states else "unknown" if "unknown" in states else "holds"


def _check_state(ok: bool, verdict: str) -> str:
    return "holds" if ok else "unknown" if verdict == "unknown" else "fails"


def write_report(report: PlayReport, pb: Playbook | None, scene: Scene, out: Path) -> None:
    """The run's report as one self-contained page; failing checks first."""
    owners: list[list[str]] = []  # each check's elements
    notes: list[str] = []  # each check's note, after its expectation's
    for c in report.checks:
        e = pb.expect[c.expectation] if pb is not None and 0 <= c.expectation < len(pb.expect) else None
        owners.append(elements_of(e, scene) if e is not None else [])
        notes.append("; ".join(n for n in (e.note if e is not None else "", c.note) if n))
    per: dict[str, list[str]] = {}
    for c, els in zip(report.checks, owners, strict=True):
        for el in els:
            per.setdefault(el, []).append(_check_state(c.ok, str(c.verdict)))
    verdicts = {el: _state(states) for el, states in per.items()}
    try:
        picture = svg(to_dot(scene, verdicts))
    except DockerctlError as exc:
        picture = f'<p class="error">no picture: {escape(str(exc))}</p>'

    def hosts_of(els: list[str]) -> list[str]:
        return sorted({h for el in els if (h := scene.elements[el].host)})

    order = sorted(range(len(report.checks)), key=lambda i: report.checks[i].ok)  # failing first, stable
    rows = []
    for i in order:
        c = report.checks[i]
        els = owners[i]
        state = _check_state(c.ok, str(c.verdict))
        cells = [c.claim, c.subject, ", ".join(els), c.desired, c.engine, c.observed, str(c.verdict),
                 c.evidence, notes[i]]  # fmt: skip
        classes = ["claim", "subject", "elements", "asked", "engine", "found", "verdict", "evidence", "note"]
        rows.append(
            f'<tr class="v-{state}" data-verdict="{escape(str(c.verdict))}" data-ok="{str(c.ok).lower()}" '
            f'data-hosts="{escape(" ".join(hosts_of(els)))}">'
            + "".join(f'<td class="{k}">{escape(v)}</td>' for k, v in zip(classes, cells, strict=True))
            + "</tr>"
        )
    held = sum(c.ok for c in report.checks)
    verdict_options = ["all", "failing", *sorted({str(c.verdict) for c in report.checks})]
    host_options = ["all", *scene.hosts]
    options = "".join(f'<option value="{escape(o)}">{escape(o)}</option>' for o in verdict_options)
    host_opts = "".join(f'<option value="{escape(o)}">{escape(o)}</option>' for o in host_options)
    summary = (
        f'<span class="{"ok" if report.ok else "bad"}" id="result">'
        + (
            f"all {held} checks hold"
            if report.ok and report.checks
            else f"{held} of {len(report.checks)} checks hold"
        )
        + "</span>"
    )
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
    error = f'<div class="error" id="run-error">{escape(report.error)}</div>' if report.error else ""
    run_notes = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
    body = (
        f"<h1>lab {escape(report.lab)}</h1>"
        f'<p class="sum">{summary} — playbook {escape(report.playbook)}'
        + (" (dry run: nothing touched)" if report.dry_run else "")
        + f' — <span id="timings">{escape(timing)}</span></p>'
        f"{error}"
        + (f"<ul>{run_notes}</ul>" if run_notes else "")
        + f'{_legend()}<div class="picture" id="topology">{picture}</div>'
        f'<div class="filters"><label>verdict <select id="f-verdict">{options}</select></label>'
        f'<label>host <select id="f-host">{host_opts}</select></label><span id="shown"></span></div>'
        '<table id="checks"><thead><tr><th>claim</th><th>subject</th><th>elements</th><th>asked</th>'
        "<th>engine kept</th><th>kernel / traffic showed</th><th>verdict</th><th>evidence</th><th>note</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<script type="application/json" id="report-json">{_embedded(report.to_dict())}</script>'
    )
    write_text(out, _page(f"lab {report.lab}: report", body, SCRIPT), "--html")


def _embedded(data: Any) -> str:
    """JSON that can sit inside a <script> element (no "</" to end it early)."""
    return json.dumps(data).replace("</", "<\\/")


def write_play_report(report: PlayReport, playbook: Path, out: Path) -> None:
    """The report of a run of `playbook` (validated by the run: its scene has no error)."""
    write_report(report, load_playbook(playbook), scene_of(playbook), out)


def write_index(entries: list[tuple[PlayReport, str, str]], out: Path) -> None:
    """A tour's page: each lab with its result, its report and its picture (file names beside `out`)."""
    rows = "".join(
        f'<tr class="{"v-holds" if r.ok else "v-fails"}"><td>{escape(r.lab)}</td>'
        f'<td class="verdict">{"holds" if r.ok else "does not hold"}</td>'
        f"<td>{sum(c.ok for c in r.checks)}/{len(r.checks)}</td>"
        f'<td><a href="{escape(page)}">report</a></td><td><a href="{escape(pic)}">topology</a></td></tr>'
        for r, page, pic in entries
    )
    body = (
        f'<h1>tour</h1><p class="sum">{sum(r.ok for r, _, _ in entries)} of {len(entries)} labs hold</p>'
        '<table id="labs"><thead><tr><th>lab</th><th>result</th><th>checks</th><th></th><th></th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    write_text(out, _page("tour", body), "--html-dir")


def write_bench_page(report: dict[str, Any], out: Path) -> None:
    """`bench net --html`: the plot, the verdict and every path's figures, self-contained."""
    from dockerctl.pictures.plot import svg as plot_svg

    def rate(p: dict[str, Any], key: str) -> str:
        s = p.get(key) or {}
        return f"{s['median'] / 1e9:.2f} ({s['min'] / 1e9:.2f}–{s['max'] / 1e9:.2f})" if s else ""

    rows = []
    for p in report.get("paths", []):
        ok = bool(p.get("available"))
        rtt = (p.get("rtt_ms") or {}).get("median")
        cells = [str(p.get("path", "")), str(p.get("kind", "")), rate(p, "forward_bps"), rate(p, "reverse_bps"),
                 f"{rtt:.3f}" if isinstance(rtt, int | float) else "", str(p.get("mtu") or ""),
                 str(p.get("evidence") or p.get("unavailable") or "")]  # fmt: skip
        rows.append(
            f'<tr class="{"v-holds" if ok else "v-unknown"}" data-path="{escape(cells[0])}">'
            + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    verdict = (report.get("verdict") or {}).get("text") or ""
    body = (
        f'<h1>bench net</h1><p class="sum" id="verdict">{escape(verdict)}</p>'
        f'<div class="picture">{plot_svg(report)}</div>'
        '<table id="paths"><thead><tr><th>path</th><th>kind</th><th>forward Gbit/s (min–max)</th>'
        "<th>reverse Gbit/s (min–max)</th><th>rtt ms</th><th>mtu</th><th>evidence</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<script type="application/json" id="report-json">{_embedded(report)}</script>'
    )
    write_text(out, _page("bench net", body), "--html")

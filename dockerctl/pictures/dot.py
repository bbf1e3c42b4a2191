"""A scene as Graphviz DOT, laid out by Graphviz's `dot` into SVG (Debian's graphviz: a layout engine is
not something to write by hand). Every element keeps its id (`container:web`) and a class naming its
kind and verdict in the SVG, so a page can find, colour and filter it."""

from __future__ import annotations

import shutil

from dockerctl.errors import DockerctlError
from dockerctl.hosts.local import LocalHost
from dockerctl.pictures.scene import Element, Scene

SHAPES = {
    "host": "component",
    "switch": "doubleoctagon",
    "network": "ellipse",
    "container": "box",
    "volume": "cylinder",
    "service": "box3d",
    "pool": "folder",
}
# verdict → fill: every check of the element holds / one does not / one could not be read / none
FILL = {"holds": "#c6f6d5", "fails": "#fed7d7", "unknown": "#fefcbf", "": "#ffffff"}
ERROR_FILL = "#feb2b2"


class GraphvizMissing(DockerctlError):
    """Graphviz's dot is not installed."""


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(e: Element, verdict: str) -> str:
    label = "\n".join(e.lines + ([f"ERROR: {e.error}"] if e.error else []))
    fill = ERROR_FILL if e.error else FILL.get(verdict, "#ffffff")
    state = "error" if e.error else verdict or "none"
    attrs = {
        "id": e.id,
        "class": f"element {e.kind} verdict-{state}",
        "label": label,
        "shape": SHAPES.get(e.kind, "box"),
        "style": "filled",
        "fillcolor": fill,
        "color": "#c53030" if e.error or verdict == "fails" else "#4a5568",
        "tooltip": f"{e.kind} {e.name} — {e.where}",
    }
    return f"    {_q(e.id)} [" + ", ".join(f"{k}={_q(v)}" for k, v in attrs.items()) + "];"


def to_dot(scene: Scene, verdicts: dict[str, str] | None = None) -> str:
    """The scene as DOT: one cluster per host holding what lives there; the switch, overlays, services
    and the storage pool outside, across hosts."""
    verdicts = verdicts or {}
    out = [
        f"digraph {_q(scene.name)} {{",
        "  graph [rankdir=LR, fontname=Helvetica, fontsize=12, compound=true, newrank=true,"
        f" label={_q(_title(scene))}, labelloc=t];",
        "  node [fontname=Helvetica, fontsize=10];",
        '  edge [fontname=Helvetica, fontsize=9, dir=none, color="#4a5568"];',
    ]
    for i, host in enumerate(scene.hosts):
        out.append(f"  subgraph {_q(f'cluster_{i}')} {{")
        out.append(f'    label={_q(host)}; style=rounded; color="#a0aec0"; id={_q(f"cluster:{host}")};')
        for e in scene.elements.values():
            if e.host == host:
                out.append(_node(e, verdicts.get(e.id, "")))
        out.append("  }")
    for e in scene.elements.values():
        if e.host is None:
            out.append(_node(e, verdicts.get(e.id, "")).replace("    ", "  ", 1))
    for edge in scene.edges:
        attrs = [f"style={edge.style}"] + ([f"label={_q(edge.label)}"] if edge.label else [])
        out.append(f"  {_q(edge.a)} -> {_q(edge.b)} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _title(scene: Scene) -> str:
    extra = f" — network models: {', '.join(scene.models)}" if scene.models else ""
    return f"{scene.name} ({scene.source}){extra}"


def svg(dot_text: str) -> str:
    """Laid out by Graphviz's dot; the XML prologue and doctype dropped, so it can sit inside a page."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing(
            "Graphviz's dot is not installed",
            hint="apt-get install graphviz (scripts/setup does), or --out FILE.dot",
        )
    done = LocalHost().run([exe, "-Tsvg"], stdin=dot_text, timeout=60)
    if not done.ok:
        raise DockerctlError(f"dot could not lay out the picture: {done.output[:300]}")
    text = done.stdout
    return text[text.index("<svg") :]

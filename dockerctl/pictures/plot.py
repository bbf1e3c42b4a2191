"""`bench net --plot`: the table as a picture. SVG is written directly (a bar per direction, its min–max
as a whisker, coloured overlay / underlay); PNG needs matplotlib, which is not a dependency."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape  # nosec B406  # escapes text into SVG we write; parses nothing

from dockerctl.errors import InvalidInput
from dockerctl.pictures.files import check_target, write_bytes, write_text

COLOURS = {"underlay": "#2b6cb0", "overlay": "#dd6b20"}
ROW, BAR, LEFT, WIDTH = 34, 12, 150, 520


def check_plot_target(path: Path) -> None:
    """Before measuring: the suffix is one we can write, and PNG's library is there."""
    check_target(path, "--plot", (".svg", ".png"))
    if path.suffix.lower() == ".png":
        try:
            import matplotlib  # type: ignore[import-not-found]  # noqa: F401
        except ImportError:
            raise InvalidInput(
                "a PNG needs matplotlib, which is not installed", where="--plot", hint="use --plot FILE.svg"
            ) from None


def svg(report: dict[str, Any]) -> str:
    rows = [p for p in report["paths"] if p.get("available") and p.get("forward_bps")]
    top = max([p["forward_bps"]["max"] for p in rows] + [p["reverse_bps"]["max"] for p in rows] + [1.0])
    height = 70 + ROW * max(len(rows), 1) + 40
    scale = WIDTH / top
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LEFT + WIDTH + 120}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<text x="10" y="20" font-size="14">bench net: iperf3 TCP, median of {report["repeat"]} run(s) '
        f"× {report['seconds']}s (whisker: min–max); upper bar →, lower bar ←</text>",
    ]
    verdict = (report.get("verdict") or {}).get("text") or ""
    out.append(f'<text x="10" y="40">{escape(verdict)}</text>')
    for i, p in enumerate(rows):
        y = 60 + i * ROW
        colour = COLOURS.get(p["kind"], "#718096")
        out.append(f'<text x="{LEFT - 8}" y="{y + BAR + 3}" text-anchor="end">{escape(p["path"])}</text>')
        for j, key in enumerate(("forward_bps", "reverse_bps")):
            s = p[key]
            by = y + j * (BAR + 2)
            out.append(
                f'<rect class="bar" data-path="{escape(p["path"])}" data-direction="{key[:-4]}" x="{LEFT}" '
                f'y="{by}" width="{s["median"] * scale:.1f}" height="{BAR}" fill="{colour}"/>'
            )
            mid = by + BAR / 2
            out.append(
                f'<line x1="{LEFT + s["min"] * scale:.1f}" x2="{LEFT + s["max"] * scale:.1f}" y1="{mid}" '
                f'y2="{mid}" stroke="black"/>'
            )
            out.append(
                f'<text x="{LEFT + s["max"] * scale + 6:.1f}" y="{by + BAR - 2}">'
                f"{s['median'] / 1e9:.2f} Gbit/s</text>"
            )
    legend_y = height - 20
    for k, (kind, colour) in enumerate(COLOURS.items()):
        x = LEFT + k * 120
        out.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{legend_y}">{kind}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_plot(path: Path, report: dict[str, Any]) -> None:
    check_plot_target(path)
    if path.suffix.lower() == ".svg":
        write_text(path, svg(report), "--plot")
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # type: ignore[import-not-found]

    rows = [p for p in report["paths"] if p.get("available") and p.get("forward_bps")]
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.6 * max(len(rows), 1)))
    for i, p in enumerate(rows):
        for j, key in enumerate(("forward_bps", "reverse_bps")):
            s = p[key]
            ax.barh(i + j * 0.4, s["median"] / 1e9, height=0.35, color=COLOURS.get(p["kind"], "gray"),
                    xerr=[[(s["median"] - s["min"]) / 1e9], [(s["max"] - s["median"]) / 1e9]])  # fmt: skip
    ax.set_yticks([i + 0.2 for i in range(len(rows))], [p["path"] for p in rows])
    ax.set_xlabel("Gbit/s (median; upper → lower ←)")
    fig.tight_layout()
    png = io.BytesIO()  # drawn in memory, then written whole (a symlink at `path` is replaced)
    fig.savefig(png, format="png")
    plt.close(fig)
    write_bytes(path, png.getvalue(), "--plot")

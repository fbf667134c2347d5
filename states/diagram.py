"""The procedure's state diagram as SVG, drawn from the machine itself (never by hand)."""

from __future__ import annotations

from html import escape

from states.base import Procedure

BOX_W, BOX_H, GAP_X, GAP_Y = 190, 46, 30, 56


def layers(proc: type[Procedure]) -> list[list[str]]:
    """States by their distance from the initial state (breadth-first), for a top-down layout."""
    initial = next(s.id for s in proc.states if s.initial)
    depth = {initial: 0}
    queue = [initial]
    while queue:
        sid = queue.pop(0)
        for t in proc.states_map[sid].transitions:
            if t.target.id not in depth:
                depth[t.target.id] = depth[sid] + 1
                queue.append(t.target.id)
    for s in proc.states:  # unreachable states still get drawn, at the bottom
        depth.setdefault(s.id, max(depth.values()) + 1)
    out: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for s in proc.states:
        out[depth[s.id]].append(s.id)
    return out


def render_svg(proc: type[Procedure], current: str | None = None, lang: str = "zh") -> str:
    """SVG with one box per state (the current one highlighted) and one arrow per transition."""
    rows = layers(proc)
    width = max(len(r) for r in rows) * (BOX_W + GAP_X) + GAP_X
    height = len(rows) * (BOX_H + GAP_Y) + GAP_Y
    pos: dict[str, tuple[int, int]] = {}
    for y, row in enumerate(rows):
        offset = (width - len(row) * (BOX_W + GAP_X) + GAP_X) // 2
        for x, sid in enumerate(row):
            pos[sid] = (offset + x * (BOX_W + GAP_X), GAP_Y // 2 + y * (BOX_H + GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(proc.title_zh)} / {escape(proc.title_en)}" '
        f'class="state-diagram" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#555"/>'
        "</marker></defs>",
    ]
    for s in proc.states:
        for t in s.transitions:
            (x1, y1), (x2, y2) = pos[s.id], pos[t.target.id]
            sx, sy = x1 + BOX_W // 2, y1 + (BOX_H if y2 > y1 else 0)
            tx, ty = x2 + BOX_W // 2, y2 + (0 if y2 > y1 else BOX_H)
            if y1 == y2:
                sy, ty = y1 + BOX_H // 2, y2 + BOX_H // 2
                sx, tx = (x1 + BOX_W, x2) if x2 > x1 else (x1, x2 + BOX_W)
            step = proc.steps.get(str(t.event))
            words = (step.label_zh if lang == "zh" else step.label_en) if step else str(t.event)
            parts.append(
                f'<line x1="{sx}" y1="{sy}" x2="{tx}" y2="{ty}" stroke="#555" '
                f'marker-end="url(#arrow)" data-event="{escape(str(t.event))}">'
                f"<title>{escape(words)}</title></line>"
            )
    for s in proc.states:
        x, y = pos[s.id]
        zh, _, en = s.name.partition(" / ")
        label = zh if lang == "zh" or not en else en
        is_current = s.id == current
        fill = "#ffbf00" if is_current else ("#e8eef5" if not s.final else "#d9ead3")
        mark = ' data-current="true" aria-current="step"' if is_current else ""
        parts.append(
            f'<g data-state="{s.id}"{mark}>'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" '
            f'stroke="{"#000" if is_current else "#1f3b5a"}" '
            f'stroke-width="{3 if is_current else 1}"/>'
            f'<text x="{x + BOX_W // 2}" y="{y + BOX_H // 2 + 4}" text-anchor="middle">'
            f"{escape(label)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)

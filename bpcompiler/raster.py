"""PNG pictures of a `draw.Scene`, rasterised with Pillow (an optional extra:
`pip install "bpcompiler[png]"`; without it `RenderUnavailable` says so).

A PNG holds every pixel, so its size is bounded: the scene is drawn at twice its size
when that stays under `MAX_PNG_PIXELS`, smaller when needed, and refused (with advice:
`.svg`, or a summary through `--max-nodes`) when even one pixel per unit is too many.
"""

from __future__ import annotations

import math

from .draw import (EDGE, FONT, MARGIN, SHARED, STYLE, Box, RenderUnavailable, Scene,
                   _legend_boxes, _sort_key)
from .writer import PICTURE_MARKER

# 40 megapixels: about 120 MB of RGB while drawing, a few MB compressed.
MAX_PNG_PIXELS = 40_000_000
# Below this scale the labels are no longer legible.
MIN_SCALE = 0.75


def too_large(s: Scene) -> str:
    return (f"the picture is {s.width:,.0f} x {s.height:,.0f} px, too large for a PNG "
            f"(at most {MAX_PNG_PIXELS:,} pixels): draw it as .svg, or summarise it with "
            "a smaller --max-nodes")


def png_scale(s: Scene, wanted: float = 2.0) -> float:
    """The largest scale up to `wanted` that keeps the PNG under MAX_PNG_PIXELS, or
    RenderUnavailable when even MIN_SCALE does not."""
    fits = math.sqrt(MAX_PNG_PIXELS / max(1.0, s.width * s.height))
    if fits < MIN_SCALE:
        raise RenderUnavailable(too_large(s))
    return min(wanted, fits)


def _bezier(points, steps=24):
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    out = []
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        out.append((u ** 3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t ** 3 * x3,
                    u ** 3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t ** 3 * y3))
    return out


def _dashes(polyline, on=5.0, off=3.0):
    """Split a polyline into dash segments."""
    segments, current, left, drawing = [], [polyline[0]], on, True
    for (xa, ya), (xb, yb) in zip(polyline, polyline[1:]):
        length = math.hypot(xb - xa, yb - ya)
        pos = 0.0
        while length - pos > left:
            pos += left
            point = (xa + (xb - xa) * pos / length, ya + (yb - ya) * pos / length)
            if drawing:
                segments.append(current + [point])
            current = [point]
            drawing, left = not drawing, off if drawing else on
        left -= length - pos
        current.append((xb, yb))
    if drawing and len(current) > 1:
        segments.append(current)
    return segments


def to_png(s: Scene, scale: float = 2.0) -> bytes:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise RenderUnavailable(
            "PNG pictures need Pillow, an optional extra: pip install 'bpcompiler[png]' "
            "(or pip install pillow); .svg and .dot need nothing more") from None
    import io

    scale = png_scale(s, scale)
    try:
        image = Image.new("RGB", (int(s.width * scale), int(s.height * scale)), "white")
    except MemoryError:
        raise RenderUnavailable(too_large(s)) from None
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.load_default(size=FONT * scale)
        bold = ImageFont.load_default(size=(FONT + 2) * scale)
    except TypeError:  # Pillow without FreeType: a fixed bitmap font
        font = bold = ImageFont.load_default()

    def p(x, y):
        return (x * scale, y * scale)

    def box(b: Box):
        fill, stroke, rounded = STYLE[b.kind]
        width = 3.0 if b.shared else 1.2
        stroke = SHARED if b.shared else stroke
        corners = [p(b.x - b.w / 2, b.y), p(b.x + b.w / 2, b.y + b.h)]
        draw.rounded_rectangle(corners, radius=(8 if rounded else 1) * scale, fill=fill,
                               outline=stroke, width=max(1, round(width * scale)))
        if b.kind == "result":
            draw.rectangle([p(b.x - b.w / 2 + 3, b.y + 3), p(b.x + b.w / 2 - 3, b.y + b.h - 3)],
                           outline=stroke, width=max(1, round(scale)))
        for i, line in enumerate(b.lines):
            ty = b.y + 5 + (i + 1) * (FONT + 3) - 3
            line = line.replace("∂", "d")  # Pillow's built-in font has no ∂
            draw.text(p(b.x, ty), line, font=font, anchor="ms",
                      fill="#111827" if i == 0 else "#374151")

    draw.text(p(MARGIN, MARGIN + FONT), s.title, font=bold, anchor="ls", fill="#111827")
    for b in _legend_boxes():
        box(b)
    for e in sorted(s.edges, key=lambda e: e.kind == "shared"):
        colour, width, dashed = EDGE[e.kind]
        curve = _bezier(e.points)
        pieces = _dashes(curve) if dashed else [curve]
        for piece in pieces:
            draw.line([p(x, y) for x, y in piece], fill=colour,
                      width=max(1, round(width * scale)))
        (xa, ya), (xb, yb) = curve[-2], curve[-1]
        angle = math.atan2(yb - ya, xb - xa)
        tip = [(xb, yb), (xb - 7 * math.cos(angle - 0.4), yb - 7 * math.sin(angle - 0.4)),
               (xb - 7 * math.cos(angle + 0.4), yb - 7 * math.sin(angle + 0.4))]
        draw.polygon([p(x, y) for x, y in tip], fill=colour)
    for key in sorted(s.boxes, key=_sort_key):
        box(s.boxes[key])
    buffer = io.BytesIO()
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Software", f"{PICTURE_MARKER}: {s.title}")
    image.save(buffer, format="PNG", optimize=True, pnginfo=info)
    return buffer.getvalue()

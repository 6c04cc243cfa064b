#!/usr/bin/env python3
"""Draws Keyward's application icon (a key on a rounded indigo tile) as RGBA PNGs.

Pure standard library so it runs on a bare machine; re-run after changing the shape:
    python3 icons/make_icons.py
"""
import math
import struct
import zlib
from pathlib import Path

TILE = (79, 70, 229)      # indigo
GLYPH = (255, 255, 255)


def coverage(x: float, y: float) -> tuple[float, float]:
    """(tile alpha, glyph alpha) at a point in the unit square."""
    r = 0.2
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    tile = 1.0 if (x - cx) ** 2 + (y - cy) ** 2 <= r * r else 0.0
    # key: ring at left, shaft to the right, two teeth down
    d = math.hypot(x - 0.34, y - 0.5)
    ring = 0.09 <= d <= 0.19
    shaft = 0.46 <= x <= 0.82 and 0.465 <= y <= 0.545
    tooth1 = 0.66 <= x <= 0.72 and 0.545 <= y <= 0.66
    tooth2 = 0.76 <= x <= 0.82 and 0.545 <= y <= 0.62
    glyph = 1.0 if (ring or shaft or tooth1 or tooth2) and tile else 0.0
    return tile, glyph


def render(size: int) -> bytes:
    ss = 4
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            t = g = 0.0
            for sy in range(ss):
                for sx in range(ss):
                    a, b = coverage((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size)
                    t += a
                    g += b
            t /= ss * ss
            g /= ss * ss
            if t == 0:
                row += bytes(4)
                continue
            mix = g / t
            rgb = [round(TILE[i] * (1 - mix) + GLYPH[i] * mix) for i in range(3)]
            row += bytes(rgb + [round(255 * t)])
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


if __name__ == "__main__":
    here = Path(__file__).parent
    for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        (here / name).write_bytes(render(size))
        print("wrote", name)

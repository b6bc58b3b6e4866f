#!/usr/bin/env python3
"""QR check: decodes a QR code SVG served by the app with zbarimg and compares it with the text it
should hold. Exits 0 only if zbarimg reads exactly that text; prints what it read either way.

    python3 .ci/qr_check.py house-qr.svg "http://127.0.0.1:8080/me/residence?house=…" [out.png]

The SVG is the one QRCode.svg writes (Sources/JifenCore/Residence/QRCode.swift): a viewBox in
modules that already includes the 4-module quiet zone, a white background <rect>, and one <path>
of dark rectangles "Mx,yhNv1h-Nz". The path is rasterised here, at 8 pixels a module, into a
grayscale PNG written with zlib (standard library only), which zbarimg (Debian zbar-tools) reads.
Give a third argument to keep the PNG, e.g. among the CI artefacts.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

SCALE = 8  # pixels a module


def dark_rectangles(svg):
    """(viewBox origin and size, rectangles in user units) from the <path> elements' d attributes.
    Each subpath must be an axis-parallel rectangle, as QRCode.svg draws them."""
    box = re.search(r'viewBox="\s*([-\d.]+)[\s,]+([-\d.]+)[\s,]+([-\d.]+)[\s,]+([-\d.]+)\s*"', svg)
    if not box:
        raise ValueError("no viewBox")
    rectangles = []
    for d in re.findall(r'<path\b[^>]*\sd="([^"]*)"', svg):
        x = y = 0.0
        points = []
        for command, numbers in re.findall(r"([MmHhVvLlZz])([^MmHhVvLlZz]*)", d):
            values = [float(v) for v in re.findall(r"-?\d*\.?\d+(?:[eE][-+]?\d+)?", numbers)]
            if command in "Zz":
                rectangles.append(rectangle(points))
                points = []
                continue
            if command in "Mm" and points:          # a new subpath without closing the last
                rectangles.append(rectangle(points))
                points = []
            pairs = command in "MmLl"
            for i in range(0, len(values), 2 if pairs else 1):
                if command == "M": x, y = values[i], values[i + 1]
                elif command == "m": x, y = x + values[i], y + values[i + 1]
                elif command == "L": x, y = values[i], values[i + 1]
                elif command == "l": x, y = x + values[i], y + values[i + 1]
                elif command == "H": x = values[i]
                elif command == "h": x += values[i]
                elif command == "V": y = values[i]
                elif command == "v": y += values[i]
                points.append((x, y))
        if points:
            rectangles.append(rectangle(points))
    return tuple(float(v) for v in box.groups()), rectangles


def rectangle(points):
    xs = sorted({p[0] for p in points})
    ys = sorted({p[1] for p in points})
    if len(xs) != 2 or len(ys) != 2 or any(p[0] not in xs or p[1] not in ys for p in points):
        raise ValueError(f"a subpath that is not an axis-parallel rectangle: {points}")
    return xs[0], ys[0], xs[1], ys[1]


def rasterise(svg, scale=SCALE):
    """Rows of grayscale bytes: white everywhere (the background rect), black under each rectangle."""
    (left, top, width, height), rectangles = dark_rectangles(svg)
    w, h = round(width * scale), round(height * scale)
    pixels = [bytearray(b"\xff" * w) for _ in range(h)]
    for x0, y0, x1, y1 in rectangles:
        px0, px1 = max(0, round((x0 - left) * scale)), min(w, round((x1 - left) * scale))
        for py in range(max(0, round((y0 - top) * scale)), min(h, round((y1 - top) * scale))):
            pixels[py][px0:px1] = b"\x00" * (px1 - px0)
    return w, h, pixels


def png(width, height, rows):
    """An 8-bit grayscale PNG, every row with filter 0."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: qr_check.py SVG_FILE EXPECTED_TEXT [KEEP_PNG]", file=sys.stderr)
        return 2
    svg_file, expected = sys.argv[1], sys.argv[2]
    with open(svg_file, encoding="utf-8") as f:
        image = png(*rasterise(f.read()))
    with tempfile.TemporaryDirectory() as tmp:
        path = sys.argv[3] if len(sys.argv) == 4 else os.path.join(tmp, "qr.png")
        with open(path, "wb") as f:
            f.write(image)
        result = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True)
    # --raw prints each symbol's data followed by a newline; nothing (and status 4) if none was found.
    decoded = result.stdout.decode("utf-8", errors="replace")
    if decoded.endswith("\n"):
        decoded = decoded[:-1]
    print(f"zbarimg read: {decoded!r}" if result.returncode == 0 else
          f"zbarimg read nothing (status {result.returncode}) {result.stderr.decode(errors='replace').strip()}")
    if result.returncode == 0 and decoded == expected:
        print("QR code OK")
        return 0
    print(f"expected:     {expected!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main())

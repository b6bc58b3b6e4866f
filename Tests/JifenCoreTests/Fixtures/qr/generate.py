#!/usr/bin/env python3
"""Reference QR Code module matrices for Tests/JifenCoreTests/QRCodeReferenceTests.swift.

Writes reference.json beside this file: the symbols that segno, an independent ISO/IEC 18004
encoder (https://pypi.org/project/segno/), makes for a few texts, so that the tests can check
QRCode.swift module for module against an encoder other than itself. Produced with segno 1.6.6
on Python 3.11. To rerun, from the repository root:

    pip install segno==1.6.6
    python3 Tests/JifenCoreTests/Fixtures/qr/generate.py

Each case: text, bytes_hex (its UTF-8), error (L/M/Q/H), version and mask (segno's automatic
choice), eci (an ECI 26 = UTF-8 header before the byte segment, as QRCode.swift writes for
non-ASCII text), rows (the matrix without quiet zone, top row first, '1' = dark). segno is told
to do what QRCode.swift does: byte mode always, no error level boost, no Micro QR.

One segno bug is patched here: write_padding_bits adds 8 zero bits when the bit stream already
ends on a codeword boundary (https://github.com/heuer/segno/issues/148, open in 1.6.6). A byte
segment without ECI always ends on a boundary after the terminator, so unpatched segno puts a
stray 0x00 codeword before the 0xEC/0x11 pad codewords of every such symbol; ISO/IEC 18004:2015
§7.4.10 pads only up to the boundary.

Mask choice. Any mask makes a valid symbol and the encoders pick theirs by penalty rules that
they read differently, so each case also records auto_mask: the mask QRCode.encode(_:correction:)
is expected to choose, by the reading of ISO/IEC 18004:2015 §7.8.3.1 that QRCode.swift documents
(jifen_penalty below). Where it differs from segno's mask, note says why, and auto_rows holds
segno's symbol forced to auto_mask. The two differences, both found by reading segno's encoder.py:
  * Evaluation area. segno scores each mask before it places the format and version information
    (find_and_apply_best_mask: "DO NOT add format / version info in advance of evaluation"), with
    those modules light; §7.8.3.1 says that although masking covers only the encoding region, the
    area to be evaluated is the complete symbol. QRCode.swift scores the complete symbol.
  * Rule N3 (1:1:3:1:1 finder-like pattern, "preceded or followed by light area 4 modules wide",
    40 points). segno matches the literal modules 1011101 (outer dark runs may be longer, no
    larger scale) and charges 40 once per occurrence. QRCode.swift matches dark:light:dark:light:
    dark runs of exactly n:n:3n:n:n at any n with at least 4n light on a side, and charges 40 per
    side (80 with light on both); both count the quiet zone as light. The standard's wording
    ("existence of the pattern", Note 3: "the imposed penalty shall be 40 points") reads as once
    per pattern, like segno; the per-side count is nayuki's QR-Code-generator's reading.
penalties records the eight totals under segno's own evaluation, segno's rules on the complete
symbol, and jifen_penalty, so a failing test can be traced to a rule.
"""
import json
import os
import re
import sys

import segno
from segno import consts, encoder

HERE = os.path.dirname(os.path.abspath(__file__))
SEGNO_VERSION = "1.6.6"

URL = "http://127.0.0.1:8080/me/residence?house=320582-01-01-01-3-2-501"
ADDRESS = "城北社区3幢2单元501室，王房东，可住4人；"          # 57 UTF-8 bytes
HOUSES = "\n".join(f"http://127.0.0.1:8080/me/residence?house=320582-01-01-01-{b}-{u}-{r}"
                   for b in range(1, 9) for u in (1, 2) for r in (101, 102, 201, 202))

# (name, text, error level, expected version or None, why the case is here)
CASES = [
    ("house-url-M", URL, "M", None, "the link printed on a rental-house door"),
    ("ascii-L", "Jifen QR test", "L", None, "short ASCII, level L"),
    ("ascii-Q", "Jifen QR test", "Q", None, "short ASCII, level Q"),
    ("ascii-H", "Jifen QR test", "H", None, "short ASCII, level H"),
    ("chinese-eci-M", "城北社区3幢2单元501室", "M", None, "Chinese: ECI 26 + byte mode"),
    ("chinese-eci-full-L", "幢2单元501室", "L", 1,
     "ECI header + 16 bytes fill version 1-L exactly: no room for the terminator, no pad codewords"),
    ("version-7-Q", URL + "&from=20261", "Q", 7,
     "75 bytes, one more than version 6-Q holds: version information blocks, blocks of 14 and 15 data codewords"),
    ("version-10-eci-M", ADDRESS * 3 + "床位9张", "M", 10,
     "181 UTF-8 bytes: 16-bit character count after an ECI header, blocks of 43 and 44 data codewords"),
    ("version-32-H", HOUSES[:791], "H", 32,
     "791 bytes, one more than version 31-H holds: the alignment grid's irregular step (26, not 28)"),
]


def write_padding_bits(buff, version, length):
    """segno's function with the boundary fixed (issue #148): no padding bits when already aligned."""
    if version not in (consts.VERSION_M1, consts.VERSION_M3):
        buff.extend([0] * (-length % 8))


encoder.write_padding_bits = write_padding_bits


def make(data, error, eci, mask=None, version=None):
    return segno.make(data, error=error, mode="byte", eci=eci, encoding="utf-8" if eci else None,
                      micro=False, boost_error=False, version=version, mask=mask)


def matrix(code):
    return [[bool(m) for m in row] for row in code.matrix]   # segno's matrix has no quiet zone


def rows(m):
    return ["".join("1" if d else "0" for d in row) for row in m]


def segno_rules(m):
    """segno's penalty rules (encoder.mask_scores) on a complete symbol."""
    return sum(encoder.mask_scores([bytearray(row) for row in m], len(m), len(m)))


def jifen_penalty(m):
    """The reading of ISO/IEC 18004:2015 §7.8.3.1 in QRCode.swift (Grid.penalty), on a complete symbol."""
    size = len(m)
    lines = [list(row) for row in m] + [[m[y][x] for y in range(size)] for x in range(size)]
    score = 0
    for line in lines:
        # runs of one colour, with the quiet zone (light, as wide as the symbol) at both ends
        runs = []                                     # [colour, length]
        for module in [False] * size + line + [False] * size:
            if runs and runs[-1][0] == module:
                runs[-1][1] += 1
            else:
                runs.append([module, 1])
        for k, (colour, length) in enumerate(runs):
            inside = length - size * ((k == 0) + (k == len(runs) - 1))
            if inside >= 5:                           # N1: 3 + (run - 5), quiet zone not counted
                score += inside - 2
            if colour and k + 5 < len(runs):          # N3 starting at this dark run
                n = length
                if [r[1] for r in runs[k:k + 5]] == [n, n, 3 * n, n, n]:
                    before, after = runs[k - 1][1], runs[k + 5][1]
                    score += 40 * ((before >= 4 * n and after >= n) + (after >= 4 * n and before >= n))
    for y in range(size - 1):                         # N2: every 2×2 block of one colour
        for x in range(size - 1):
            if m[y][x] == m[y][x + 1] == m[y + 1][x] == m[y + 1][x + 1]:
                score += 3
    dark = sum(map(sum, m))                           # N4: 10 per whole 5 % away from 50 % dark
    k = 0
    while not (45 - 5 * k) * size * size <= 100 * dark <= (55 + 5 * k) * size * size:
        k += 1
    return score + 10 * k


def first_minimum(values):
    return min(range(len(values)), key=lambda i: (values[i], i))


def reference_case(name, text, error, expected_version, why):
    data = text.encode("utf-8")
    eci = any(b >= 0x80 for b in data)               # as QRCode.encode(_:correction:) decides
    assert not eci or consts.ECI_ASSIGNMENT_NUM["utf-8"] == 26

    # segno's own evaluation scores, captured as it chooses the mask
    scores = []
    evaluate = encoder.evaluate_mask
    encoder.evaluate_mask = lambda *a: scores.append(evaluate(*a)) or scores[-1]
    try:
        code = make(data, error, eci)
    finally:
        encoder.evaluate_mask = evaluate
    assert code.mode == "byte" and code.error == error and not code.is_micro, (name, code.designator)
    if expected_version is not None:
        assert code.version == expected_version, (name, code.version)

    symbols = [matrix(make(data, error, eci, mask=k, version=code.version)) for k in range(8)]
    assert symbols[code.mask] == matrix(code), name
    complete = [segno_rules(s) for s in symbols]
    jifen = [jifen_penalty(s) for s in symbols]
    auto_mask = first_minimum(jifen)

    case = {
        "name": name,
        "why": why,
        "text": text,
        "bytes_hex": data.hex(),
        "error": error,
        "version": code.version,
        "mask": code.mask,
        "eci": eci,
        "auto_mask": auto_mask,
    }
    reasons = []
    if first_minimum(complete) != code.mask:
        reasons.append(f"segno scores the masks without format/version information; its own rules on the complete "
                       f"symbol (ISO/IEC 18004:2015 §7.8.3.1) choose mask {first_minimum(complete)}")
    if auto_mask != first_minimum(complete):
        reasons.append(f"rule N3 read differently (QRCode.swift: runs n:n:3n:n:n at any n, 40 per light side; "
                       f"segno: literal 1011101, 40 once); QRCode.swift's rules choose mask {auto_mask}")
    if sorted(jifen)[0] == sorted(jifen)[1]:
        reasons.append(f"QRCode.swift's penalties tie at {min(jifen)}; the lowest-numbered mask wins")
    case["note"] = f"segno chose mask {code.mask}; " + "; ".join(reasons) if auto_mask != code.mask else None
    case["penalties"] = {"segno": scores, "segno_rules_complete_symbol": complete, "jifen": jifen}
    case["rows"] = rows(symbols[code.mask])
    if auto_mask != code.mask:
        case["auto_rows"] = rows(symbols[auto_mask])
    return case


def main():
    if segno.__version__ != SEGNO_VERSION:
        print(f"warning: segno {segno.__version__}, the fixture was made with {SEGNO_VERSION}", file=sys.stderr)
    cases = [reference_case(*c) for c in CASES]
    # One field, row or penalty list per line keeps the file readable and diffable.
    text = json.dumps(cases, ensure_ascii=False, indent=1)
    text = re.sub(r"\[\n\s+(\d+(?:,\n\s+\d+)*)\n\s+\]",
                  lambda m: "[" + re.sub(r",\n\s+", ", ", m.group(1)) + "]", text)
    with open(os.path.join(HERE, "reference.json"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    for c in cases:
        print(f"{c['name']:20} {c['error']} version {c['version']:2} mask {c['mask']} auto_mask {c['auto_mask']}"
              + (f"  ({c['note']})" if c["note"] else ""))


if __name__ == "__main__":
    main()

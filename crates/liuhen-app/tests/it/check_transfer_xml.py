#!/usr/bin/env python3
"""Validates transfer-package metadata against the element table of
docs/archive-transfer.md (between <!-- elements --> and <!-- /elements -->), using only
the Python standard library: argv[1] the document, argv[2] the metadata folder.
Every element must be a documented path, in documented order; 必备 elements present with
text (or children); 否-多值 elements at most once."""
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

doc = Path(sys.argv[1]).read_text(encoding="utf-8")
table = doc.split("<!-- elements -->")[1].split("<!-- /elements -->")[0]
rows = []
for line in table.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 4 or cells[0] in ("路径",) or set(cells[0]) <= set("-"):
        continue
    rows.append((cells[0], cells[1] == "是", cells[2] == "是"))
order = {p: i for i, (p, _, _) in enumerate(rows)}
problems = []
files = sorted(Path(sys.argv[2]).glob("*.xml"))
if not files:
    problems.append("no metadata files")
for f in files:
    root = ET.parse(f).getroot()
    if root.tag != "录音录像类电子档案元数据" or root.get("标准") != "DA/T 63-2017":
        problems.append(f"{f.name}: root {root.tag} {root.attrib}")
    counts = {}  # path -> most occurrences under one parent

    def walk(el, prefix):
        last, here = -1, {}
        for child in el:
            path = f"{prefix}{child.tag}"
            if path not in order:
                problems.append(f"{f.name}: undocumented element {path}")
                continue
            if order[path] < last:
                problems.append(f"{f.name}: {path} out of the documented order")
            last = order[path]
            here[path] = here.get(path, 0) + 1
            counts[path] = max(counts.get(path, 0), here[path])
            walk(child, path + "/")

    walk(root, "")
    for path, required, multi in rows:
        n = counts.get(path, 0)
        if required and n == 0:
            problems.append(f"{f.name}: required {path} missing")
        if not multi and n > 1:
            problems.append(f"{f.name}: {path} occurs {n} times")
    for el_path in [p for p, req, _ in rows if req]:
        for el in root.findall(el_path):
            if not (el.text or "").strip() and len(el) == 0:
                problems.append(f"{f.name}: required {el_path} empty")
    digests = root.findall("计算机文件/数字摘要")
    if [d.get("算法") for d in digests] != ["SHA-256", "SM3"] or not all(
        re.fullmatch(r"[0-9a-f]{64}", (d.text or "")) for d in digests
    ):
        problems.append(f"{f.name}: digests {[(d.get('算法'), d.text) for d in digests]}")
for p in problems:
    print(p)
print(f"{len(files)} metadata files checked, {len(problems)} problems")
sys.exit(1 if problems else 0)

#!/usr/bin/env python3
"""An independent verifier of liuhen export packages, written from
docs/verifying-a-package.md alone (it links nothing of liuhen). It checks the SHA-256
manifest, manifest.json against it, the Ed25519 checkpoint signature (package key ids),
every inclusion proof (RFC 9162 section 2.1.3.2) and the binding of each record to a proven
record.ingested entry. SM3 and SM2 are not checked (not in Python's standard library).

Usage: verify_package.py BAG_DIR   -> prints one line per problem; exit 0 iff none.
"""
import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def key_id(pem_bytes):
    key = serialization.load_pem_public_key(pem_bytes)
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16], key


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def main(bag):
    problems = []
    listed = {}
    with open(os.path.join(bag, "manifest-sha256.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            digest, path = line.rstrip("\n").split("  ", 1)
            listed[path] = digest
            full = os.path.join(bag, *path.split("/"))
            if not os.path.isfile(full):
                problems.append(f"missing_file {path}")
            elif sha256_file(full) != digest:
                problems.append(f"changed_file {path}")
    for root, _, files in os.walk(os.path.join(bag, "data")):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), bag).replace(os.sep, "/")
            if rel not in listed:
                problems.append(f"unlisted_file {rel}")

    with open(os.path.join(bag, "data", "manifest.json"), encoding="utf-8") as f:
        m = json.load(f)
    for item in m["files"] + m["records"]:
        if listed.get(item["path"]) != item["sha256"]:
            problems.append(f"manifest_mismatch {item['path']}")

    def read(rel, mode="rb"):
        with open(os.path.join(bag, *rel.split("/")), mode) as f:
            return f.read()

    ed_id, ed_key = key_id(read(m["keys"]["ed25519"]))
    if ed_id != m["keys"]["ed25519_key_id"]:
        problems.append(f"foreign_key ed25519 {ed_id}")

    cp = json.loads(read(m["log"]["checkpoint"]))
    body = cp["body"]
    lines = body.split("\n")
    if len(lines) != 5 or lines[4] != "":
        print("malformed checkpoint body")
        return 1
    size = int(lines[1])
    root = base64.b64decode(lines[2])
    try:
        assert isinstance(ed_key, Ed25519PublicKey)
        ed_key.verify(base64.b64decode(cp["ed25519_sig"]), body.encode("utf-8"))
    except Exception:  # noqa: BLE001 - any failure is a bad signature
        problems.append("bad_signature ed25519")

    entries = json.loads(read(m["log"]["entries"]))
    if entries["tree_size"] != size:
        problems.append("manifest_mismatch tree_size")
    vouched = set()
    for e in entries["entries"]:
        leaf = hashlib.sha256(b"\x00" + e["body"].encode("utf-8")).digest()
        proof = [bytes.fromhex(h) for h in e["proof"]]
        b = json.loads(e["body"])
        if b.get("seq") != e["seq"] or not verify_inclusion(leaf, e["seq"], size, proof, root):
            problems.append(f"bad_proof {e['seq']}")
            continue
        if b.get("action") == "record.ingested":
            rec = b["details"]["record"]
            vouched.add((rec["id"], rec["sha256"]))
    for r in m["records"]:
        if (r["record"], r["sha256"]) not in vouched:
            problems.append(f"unbound_record {r['record']}")

    for p in problems:
        print(p)
    print(f"checked {len(listed)} files, {len(entries['entries'])} entries; "
          f"{len(problems)} problems (SM3/SM2 not checked)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

#!/usr/bin/env python3
"""An independent verifier of one liuhen log entry, from CLI output only.

    liuhen log checkpoint     > checkpoint.txt
    liuhen log entry N        > entry.json
    liuhen keys export        > keys.txt
    python3 verify-log-entry.py checkpoint.txt entry.json keys.txt

Checks, following docs/log-format.md and nothing of liuhen's code:
  1. the Ed25519 signature over the checkpoint body (Python `cryptography`);
  2. the SM2-with-SM3 signature over it, distinguishing id 1234567812345678
     (`openssl dgst -sm3 -sigopt distid:…`);
  3. leaf hash = SHA-256(0x00 || body) of the entry, and the body names its seq;
  4. the RFC 6962 inclusion proof of the leaf leads to the checkpoint's root and size.
Exit 0 and "OK" when all hold; exit 1 and the reason otherwise.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

SM2_DISTID = "1234567812345678"


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def parse_note(text):
    """Body (up to and including the newline before the empty line) and signatures."""
    body, sep, sigs = text.partition("\n\n")
    if not sep:
        fail("checkpoint: no empty line between body and signatures")
    body += "\n"
    lines = body.split("\n")[:-1]
    if len(lines) != 4:
        fail("checkpoint body has %d lines, expected 4" % len(lines))
    origin, size, root_b64, timestamp_ms = lines
    signatures = {}
    for line in sigs.split("\n"):
        if not line:
            continue
        if not line.startswith("\u2014 "):
            fail("checkpoint: not a signature line: %r" % line)
        name, _, sig = line[2:].partition(" ")
        signatures[name] = base64.b64decode(sig, validate=True)
    return body.encode("utf-8"), origin, int(size), base64.b64decode(root_b64), signatures


def pem_blocks(text):
    blocks, current = [], None
    for line in text.splitlines():
        if line.startswith("-----BEGIN "):
            current = [line]
        elif current is not None:
            current.append(line)
            if line.startswith("-----END "):
                blocks.append("\n".join(current) + "\n")
                current = None
    return blocks


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, proof):
    """RFC 9162 section 2.1.3.2: recompute the root from a leaf and its audit path."""
    if index >= size:
        fail("index %d outside a tree of %d" % (index, size))
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            fail("inclusion proof is too long")
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        fail("inclusion proof is too short")
    return r


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8", newline="") as f:
        body, origin, size, root, sigs = parse_note(f.read())
    with open(sys.argv[2], encoding="utf-8") as f:
        entry = json.load(f)
    with open(sys.argv[3], encoding="utf-8") as f:
        keys = pem_blocks(f.read())
    if len(keys) != 2:
        fail("keys: expected two PEM public keys (Ed25519, SM2), found %d" % len(keys))

    ed = load_pem_public_key(keys[0].encode())
    if not isinstance(ed, Ed25519PublicKey):
        fail("keys: the first key is not Ed25519")
    try:
        ed.verify(sigs["ed25519"], body)
    except (InvalidSignature, KeyError):
        fail("Ed25519 signature over the checkpoint body does not verify")

    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ("sm2.pem", "body", "sig")}
        with open(paths["sm2.pem"], "w") as f:
            f.write(keys[1])
        with open(paths["body"], "wb") as f:
            f.write(body)
        with open(paths["sig"], "wb") as f:
            f.write(sigs.get("sm2", b""))
        out = subprocess.run(
            ["openssl", "dgst", "-sm3", "-verify", paths["sm2.pem"],
             "-sigopt", "distid:" + SM2_DISTID, "-signature", paths["sig"], paths["body"]],
            capture_output=True, text=True)
        if out.returncode != 0 or "Verified OK" not in out.stdout:
            fail("SM2 signature over the checkpoint body does not verify: "
                 + (out.stdout + out.stderr).strip())

    entry_body = entry["body"].encode("utf-8")
    leaf = hashlib.sha256(b"\x00" + entry_body).digest()
    if leaf.hex() != entry["leaf_hash"]:
        fail("leaf hash differs from SHA-256(0x00 || body)")
    parsed = json.loads(entry_body)
    if parsed.get("seq") != entry["seq"]:
        fail("the body names seq %r, not %r" % (parsed.get("seq"), entry["seq"]))
    if entry["tree_size"] != size:
        fail("the proof is for a tree of %d, the checkpoint of %d" % (entry["tree_size"], size))
    proof = [bytes.fromhex(h) for h in entry["proof"]]
    if root_from_inclusion(entry["seq"], size, leaf, proof) != root:
        fail("the inclusion proof does not lead to the checkpoint's root")
    print("OK: entry %d (%s) is in %s's log of %d entries, checkpoint signed with "
          "Ed25519 and SM2" % (entry["seq"], parsed.get("action"), origin, size))


if __name__ == "__main__":
    main()

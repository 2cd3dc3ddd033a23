"""Schemathesis hooks for scripts/schemathesis.sh (issue 10, item 4).

PATCH /api/v1/uploads/{id} is a tus chunk: its body is `application/offset+octet-stream`
(bytes) and it only means something against an upload that exists. Here the body is
serialised as plain bytes (alias of application/octet-stream), and two of every three
generated PATCH cases are aimed at a real, open upload that the script created before
the run (LIUHEN_ST_UPLOAD: an upload of the demo keeper, far larger than anything sent, so
it never completes). Generated offsets, checksums, versions and bodies then reach the
offset check, the checksum check, the length check and the write itself; the third case
keeps its generated id (404). The usual checks apply: no 5xx, documented statuses,
content types and schemas.
"""

import atexit
import itertools
import os
import sys

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

_turn = itertools.count()
_aimed = [0]
atexit.register(
    lambda: print(f"schemathesis_hooks: {_aimed[0]} PATCH cases aimed at the open upload", file=sys.stderr)
)


@schemathesis.hook
def map_case(context, case):
    upload = os.environ.get("LIUHEN_ST_UPLOAD")
    op = case.operation
    if (
        upload
        and op.method.upper() == "PATCH"
        and op.path == "/api/v1/uploads/{id}"
        and next(_turn) % 3 != 2
    ):
        case.path_parameters = dict(case.path_parameters or {}, id=upload)
        _aimed[0] += 1
    return case

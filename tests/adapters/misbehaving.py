"""A test adapter: the reference behind the protocol, misbehaving on purpose when asked.

``python tests/adapters/misbehaving.py [--crash-every N] [--garbage-at K] [--wrong-id-at K]
[--hang-at K] [--huge-at K] [--break PRIM] [--no-hello]``: K and N count run requests from 1.
``--break PRIM`` adds 1 to every float output of programs that use PRIM (a wrong implementation of one
primitive). It speaks the protocol by hand (no harness.adapters import) except for the reference itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    for flag in ("--crash-every", "--garbage-at", "--wrong-id-at", "--hang-at", "--huge-at"):
        parser.add_argument(flag, type=int, default=0)
    parser.add_argument("--break", dest="broken", default=None)
    parser.add_argument("--no-hello", action="store_true")
    opts = parser.parse_args()

    import numpy as np

    from frankenjax_ref import dispatch
    from frankenjax_ref.core.values import decode_array, encode_array
    from frankenjax_ref.ir import from_json

    out = sys.stdout
    runs = 0
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "bye":
            return 0
        if request["op"] == "hello":
            if opts.no_hello:
                out.write("hello yourself\n")
            else:
                out.write(
                    json.dumps(
                        {
                            "ok": True,
                            "name": "misbehaving",
                            "version": "1",
                            "primitives": ["*"],
                            "transforms": list(dispatch.KNOWN),
                        }
                    )
                    + "\n"
                )
            out.flush()
            continue
        runs += 1
        if opts.crash_every and runs % opts.crash_every == 0:
            print(f"crashing on request {runs}", file=sys.stderr, flush=True)
            os._exit(3)
        if runs == opts.garbage_at:
            out.write("this is not json\n")
            out.flush()
            continue
        if runs == opts.hang_at:
            time.sleep(3600)
        if runs == opts.huge_at:
            out.write('{"id": "' + "x" * (3 << 20) + '"}\n')
            out.flush()
            continue
        case_id = request["id"] + ("-other" if runs == opts.wrong_id_at else "")
        closed = from_json(request["program"])
        args = [decode_array(a) for a in request["args"]]
        try:
            with np.errstate(all="ignore"):
                outputs = dispatch.run(closed, dispatch.stack_from_json(request["stack"]), args).outputs
        except Exception as exc:
            code = getattr(exc, "code", "crash")
            out.write(
                json.dumps({"id": case_id, "ok": False, "error": {"code": code, "message": str(exc)}}) + "\n"
            )
            out.flush()
            continue
        used = {e.primitive.name for e in closed.jaxpr.equations}
        if opts.broken and opts.broken in used:
            outputs = [o + 1 if np.issubdtype(np.asarray(o).dtype, np.floating) else o for o in outputs]
        reply = {"id": case_id, "ok": True, "outputs": [encode_array(np.asarray(o)) for o in outputs]}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

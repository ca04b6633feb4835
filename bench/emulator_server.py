"""The Pendo emulator as the benchmark runs it: pendo-dbt's own, in a process of its own, TCP_NODELAY on.

Emulators before commit 2d3584d wrote a response's headers and body in two send() calls with Nagle's
algorithm on, so every response with a body waited for the client's delayed ACK (~40 ms on Linux), which
capped every client near 25 bulk requests per second per connection. Today's emulator sets TCP_NODELAY
itself; this script sets it on whichever emulator it imports, so `--source` comparisons with older
checkouts measure their code, not that stall. `--stock` leaves the emulator as it is.

    python bench/emulator_server.py --port 8787 --seed seed.json [--stock]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os

from pendo_sync.pendo import emulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", help="JSON seed file (visitors, accounts, schema)")
    parser.add_argument(
        "--stock", action="store_true", help="leave Nagle's algorithm on, as `pendo-dbt emulator`"
    )
    args = parser.parse_args()
    handler = getattr(emulator, "_Handler", None)
    if not args.stock and handler is not None:
        handler.disable_nagle_algorithm = True  # socketserver.StreamRequestHandler sets TCP_NODELAY then
    server = emulator.Emulator(
        os.environ["PENDO_INTEGRATION_KEY"],
        os.environ.get("PENDO_TRACK_EVENT_SECRET", ""),
        "127.0.0.1",
        args.port,
    )
    if args.seed:
        with open(args.seed, encoding="utf-8") as handle:
            server.seed(json.load(handle))
    server.start()
    nodelay = bool(getattr(handler, "disable_nagle_algorithm", False))
    print(f"Pendo emulator listening on {server.url} (TCP_NODELAY {'on' if nodelay else 'off'})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()

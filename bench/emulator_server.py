"""The Pendo emulator as the benchmark runs it: pendo-dbt's own, in a process of its own, TCP_NODELAY on.

The stock emulator writes a response's headers and its body in two send() calls on a socket with Nagle's
algorithm on, so every response with a body waits for the client's delayed ACK (~40 ms on Linux): that,
not CPU, caps every client at about 25 bulk requests per second per connection, and would make the
emulator the ceiling. `--stock` keeps that behaviour (to measure it); by default the handler sets
TCP_NODELAY, the one-line fix proposed in docs/performance.md. Everything else is the stock emulator.

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

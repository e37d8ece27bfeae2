"""``vllm-pooling-serve MODEL [flags]`` and ``python -m vllm_pooling_migrate.shim.serve``.

Exit codes: 0 after a drained shutdown (SIGTERM or Ctrl-C: in-flight requests finish first), 1 when the server
cannot start (vLLM's start-up errors, e.g. ``RuntimeError: Unsupported task: ...``; no socket was bound), 2 for
usage errors (argparse, as vLLM's).
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence

from vllm_pooling_migrate.shim.serve.cli.args import ServeSettings, parse_serve_args

LOG_FORMAT = "%(levelname)s %(asctime)s [%(name)s] %(message)s"


def serve(app: object, settings: ServeSettings) -> None:
    import uvicorn

    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=settings.uvicorn_log_level,  # type: ignore[arg-type]
                            access_log=settings.access_log, lifespan="on", timeout_graceful_shutdown=None)
    server = uvicorn.Server(config)
    # uvicorn re-raises a captured SIGTERM/SIGINT once its graceful shutdown is over, which would kill the
    # process (exit -15) after a clean drain; with no-op handlers underneath, the re-raise is harmless.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    server.run()


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_serve_args(sys.argv[1:] if argv is None else list(argv))
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, datefmt="%m-%d %H:%M:%S")
    from vllm_pooling_migrate.shim.serve.app.factory import build_app

    try:
        app = build_app(settings)
    except (RuntimeError, NotImplementedError, ValueError, OSError) as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    serve(app, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

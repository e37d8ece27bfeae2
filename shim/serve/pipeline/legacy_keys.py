"""Legacy request keys (``normalize``, ``softmax``, ``activation``): ignored, as vLLM 0.17+ ignores them, but said.

vLLM accepts and drops them with a DEBUG line only, so a client sending ``"normalize": false`` silently gets
normalised vectors. Each one seen is recorded in the usage report as POOL010, logged once per (route, key) on this
server's logger with the code, and raised as a Python warning whose vLLM text is vLLM's own DEBUG line.
"""

from __future__ import annotations

import logging
import threading

from vllm_pooling_migrate.shim.serve.hits import http_site, record_hit, warn_hit
from vllm_pooling_migrate.shim.serve.messages import LOGGER_SERVE, online_text

LEGACY_BODY_KEYS = ("activation", "normalize", "softmax")
logger = logging.getLogger(LOGGER_SERVE)

_logged: set[tuple[str, str]] = set()
_logged_lock = threading.Lock()


def note_legacy_keys(extra_keys: set[str], route: str) -> None:
    for key in sorted(extra_keys & set(LEGACY_BODY_KEYS)):
        site = http_site("POST", route)
        with _logged_lock:
            first = (route, key) not in _logged
            _logged.add((route, key))
        if not first:
            record_hit("POOL010", site)
            continue
        logger.warning("POOL010: request field %r on %s is ignored, as vLLM ignores it since 0.17: the answer does "
                       "not change; send \"use_activation\" instead", key, route)
        warn_hit("POOL010", online_text("ignored-fields") % {key}, site)

"""The pooling tasks a file's own clients ask of the server the file starts (POOL019).

From vLLM 0.21 a pooling server serves one task. A test module that starts one server with
``RemoteOpenAIServer(model, args)`` and then posts to ``/v1/embeddings`` and to ``/pooling`` with
``"task": "token_embed"`` needs two; whichever the server's default is, one of the requests fails. The tasks are
read from the routes (``/v1/embeddings`` is ``embed``, ``/classify`` is ``classify``) and from a ``/pooling``
body's ``"task"`` when it is a string literal, or a name bound only to literals. Routes whose task depends on the
model (``/score``, ``/rerank``, ``/invocations``) and ``/pooling`` bodies without a task say nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Routes that always run one task, whatever the model (vLLM 0.19-0.21).
ROUTE_TASKS: Mapping[str, str] = {"/v1/embeddings": "embed", "/v2/embed": "embed", "/classify": "classify",
                                  "/v1/classify": "classify"}


@dataclass(frozen=True)
class ClientTasks:
    """Each task the file's clients request, with the route and the row of the first request for it."""

    tasks: Mapping[str, tuple[str, int]]

    def described(self) -> str:
        """``embed` (`/v1/embeddings`, line 190) and `token_embed` (`/pooling`, line 596)``, in row order."""
        parts = [f"`{task}` (`{route}`, line {row})" for task, (route, row) in
                 sorted(self.tasks.items(), key=lambda item: item[1][1])]
        return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)

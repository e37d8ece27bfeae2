"""vllm-pooling-migrate: move code off vLLM's deprecated pooling multi-task API.

One distribution, one import name. The repository's folders are its sub-packages:

* ``vllm_pooling_migrate.codemod`` (``codemod/``): ``migrate-pooling``, the lint and codemod. Light: no torch.
* ``vllm_pooling_migrate.shim`` (``shim/``): vLLM's pooling API, release by release.
* ``vllm_pooling_migrate.runtime`` (``runtime/``): the torch + transformers engine under the shim.
* ``vllm_pooling_migrate.registry`` and ``.tasks`` (``core/``): the vocabulary both the lint and the shim read.

Importing this package, or any of the above, reads no environment variable and imports nothing heavy.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"

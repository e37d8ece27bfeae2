"""migrate-pooling: find and rewrite code written for vLLM's deprecated pooling multi-task API.

This package must never import torch (a lint install stays light); tests enforce it.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"

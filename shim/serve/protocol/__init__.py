"""Request schemas (pydantic, as vLLM's) and response builders (dicts in vLLM's key order)."""

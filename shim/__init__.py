"""vLLM's pooling API with version-exact deprecation behaviour (filled in by the shim issue)."""

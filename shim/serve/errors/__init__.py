"""vLLM's error bodies and the exception -> status mapping (online-serving.md "Error body shapes")."""

"""Per-file facts shared by the rules: what a name refers to, and where each `LLM(...)` is used."""

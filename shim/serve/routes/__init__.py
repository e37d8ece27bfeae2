"""The HTTP routes, one module per family; each registers only what the release registers for this model."""

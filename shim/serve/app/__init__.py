"""The FastAPI application: factory, middleware (API key, limits, metrics) and the /metrics exposition."""

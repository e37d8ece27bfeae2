"""Coalescing concurrent requests into engine calls, on one engine-owner thread."""

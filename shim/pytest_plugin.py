"""pytest plugin for the shim (entry point ``pooling_shim``); filled in by the shim issue."""

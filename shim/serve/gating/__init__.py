"""Which routes a release registers and which handlers it builds, from the model's tasks (online-serving.md §1.1)."""

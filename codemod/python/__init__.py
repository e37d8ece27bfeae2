"""Python-source helpers shared by the rules: fix edits and argv lists written as Python literals."""

"""A function module that fails during init, as a missing dependency or a bad setting does."""

raise ImportError("No module named 'a_missing_dependency'")

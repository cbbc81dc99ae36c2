"""The Lambda runtime emulated: the context object and the execution environments."""

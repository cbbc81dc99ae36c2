"""Orders API: a secure, cost-aware serverless orders backend and its local twin."""

__version__ = "0.1.0"

"""Orders API: a secure, cost-aware serverless orders backend and its local twin."""

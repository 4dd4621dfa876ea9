"""Soak checks: scripts that run the product under load for a while (not collected as tests)."""

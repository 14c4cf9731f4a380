"""Models of the cases app (built in later issues)."""

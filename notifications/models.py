"""Models of the notifications app (built in later issues)."""

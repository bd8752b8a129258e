"""Exceptions the CLI reports as one line (exit 2)."""


class UsageError(Exception):
    """Bad input from the user: a missing file, an unknown name, an impossible request."""

"""Stancemap: who stands where toward whom in news text."""

__version__ = "0.1.0"

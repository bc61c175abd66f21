"""resolver: an iterative, caching DNS resolver."""

__version__ = "0.1.0"

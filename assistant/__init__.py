"""Question answering over a Chinese provincial health newspaper archive, with citations."""

__version__ = "0.1.0"

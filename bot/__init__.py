"""Article Bot: answers questions about news articles with cited quotes."""

__version__ = "0.1.0"

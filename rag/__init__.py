"""Extractive, attributed question answering over a newsroom's articles, offline on a CPU."""

__version__ = "0.1.0"

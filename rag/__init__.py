"""Extractive, attributed question answering over a newsroom's articles, offline on a CPU."""
import os

# The query path multiplies small matrices (a question against a few hundred sentences or
# candidates); OpenBLAS's thread pool makes each of those several times slower, and slower
# still when other processes share the cores. Set before numpy is first imported; an explicit
# setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"

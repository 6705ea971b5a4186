"""Real-server benchmark: djangotailoring's logging under gunicorn and uvicorn, loaded by wrk.

Run ``python -m benchmarks.servers --help`` from the repository root;
``benchmarks/README.md`` (section "Real servers") tells what it measures and how.
"""

"""Benchmarks of djangotailoring against its peers, measured in the same run.

Run ``python -m benchmarks --help`` from the repository root; ``benchmarks/README.md`` tells
what each case means.
"""

"""Speed and accuracy benchmarks; `make bench` runs them all (python -m benchmarks)."""

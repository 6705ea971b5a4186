"""Models the benchmark needs beyond the tracking app: a related target and an enrollment."""

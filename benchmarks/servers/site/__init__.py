"""The benchmark project's own app: a small seeded table and the per-worker GC hook."""

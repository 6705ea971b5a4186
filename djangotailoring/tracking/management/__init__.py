"""Management commands of ``djangotailoring.tracking``."""

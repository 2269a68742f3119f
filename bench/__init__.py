"""Load generator and benchmark runner (`make bench`, docs/benchmarks.md)."""

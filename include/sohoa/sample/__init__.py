"""A realistic sample programme for `make run`, demos and benchmarks: real Hanoi agencies,
messy inventory lists, scanned pages rendered with seals and signatures, and their ground
truth. Sits beside the entry layer: it may use any phase, and no phase uses it."""

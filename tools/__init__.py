"""Benchmarks and the NLU evaluation: commands that print figures, outside the runtime package."""

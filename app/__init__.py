"""Tripartite: tripartite social dialogue with equal weight for each group."""

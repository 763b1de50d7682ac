"""Tripartite bodies (councils, C144 commissions, their task teams) and their seats."""

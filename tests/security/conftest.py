"""Fixtures of the security suite (tests/security/world.py builds the objects)."""

from tests.security.world import cheap_passwords, make_client_with

__all__ = ["cheap_passwords", "make_client_with"]

"""Decisions of a body's meetings, by a recorded method, and the actions that follow them."""

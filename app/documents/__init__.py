"""Documents attached to rounds, positions and caucus spaces, and the store of their bytes."""

"""Group caucus: each group's private space in a round, and the joint statements it publishes."""

"""A round's tripartite officers: a chair (government or neutral) and two vice-chairs (one
employers', one workers'), named by a moderator; and the balanced discussion order in which
the social partners' opening statements come first."""

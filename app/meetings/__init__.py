"""Meetings of a tripartite body: agenda, attendance and quorum, minutes, what is restricted."""

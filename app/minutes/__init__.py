"""A meeting's minutes: drafted per agenda item, sent for comments, approved, published."""

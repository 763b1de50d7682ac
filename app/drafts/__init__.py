"""Draft texts: a round's brief split into numbered paragraphs, commented and amended."""

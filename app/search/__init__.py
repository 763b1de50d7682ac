"""Search across everything a person may see (docs/search-design.md)."""

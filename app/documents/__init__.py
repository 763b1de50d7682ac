"""Documents: attachments, their files and their text."""

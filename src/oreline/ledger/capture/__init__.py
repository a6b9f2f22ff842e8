"""The write transaction: capture state, derived templates, the one write path."""

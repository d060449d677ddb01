"""Shared plumbing under every domain app: errors, JSON twins, fast bulk writes, background
tasks, the signals by which a lower floor tells a higher one that something changed."""

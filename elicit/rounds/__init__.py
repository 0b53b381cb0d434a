"""Rounds of a study and their life cycle (draft, open, closed)."""

"""Showing experts the panel's previous round: figures, charts and rationales."""

"""Studies, their questions and sources, question-set import, and resolutions."""

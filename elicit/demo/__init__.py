"""A ready-made demo study, so every page has data from the first minute."""

"""Experts' judgments: what each expert answered to each question in each round."""

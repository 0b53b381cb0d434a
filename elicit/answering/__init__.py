"""The expert's side of a study: entering by link, consenting, answering rounds, seeing feedback."""

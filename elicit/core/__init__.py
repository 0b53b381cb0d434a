"""elicit's numbers: NumPy/SciPy functions on whole arrays of many questions at once.

Nothing in this package imports Flask or SQLAlchemy. Every statistic the
product shows comes from here; services turn rows into arrays, call these
functions once per study or round, and format what comes back.
"""

"""Looking after the data: the audit chain's check, erasing experts' contacts, backups.

:mod:`.erasure` erases an expert's name and e-mail on request or when the
retention period of an archived study has passed, leaving the pseudonymous
answers; :mod:`.backups` copies the database to a file and back; :mod:`.cli`
holds the commands (``elicit audit verify``, ``elicit experts erase``,
``elicit retention apply``, ``elicit backup``, ``elicit restore``).
"""

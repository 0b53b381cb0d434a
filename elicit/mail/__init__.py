"""E-mail to experts: invitations and reminders written to an outbox, delivered by one sender."""

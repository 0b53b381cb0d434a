"""Staff accounts (admins, facilitators, analysts): users, passwords, login."""

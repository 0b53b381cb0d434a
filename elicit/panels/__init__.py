"""Expert panels: pseudonymous experts, their contact details and their invitations."""

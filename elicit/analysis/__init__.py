"""Analysis outside the web app: the offline commands and the long CSV format they read."""

"""Qt pages of the app window."""

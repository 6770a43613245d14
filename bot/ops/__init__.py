"""Running the bot for real: the run lock, online backup and restore, health, update logs."""

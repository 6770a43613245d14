"""Charts sent to admins as pictures (PNG), labelled in the admin's language."""

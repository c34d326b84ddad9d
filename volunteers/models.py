"""Models of the volunteer service app; they arrive with its issue."""

"""Models of the events and competitions app; they arrive with its issue."""

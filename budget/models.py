"""Models of the funds and expense approvals app; they arrive with its issue."""

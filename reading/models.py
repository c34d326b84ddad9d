"""Models of the books and reading app; they arrive with its issue."""

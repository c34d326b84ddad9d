"""Models of the interest clubs app; they arrive with its issue."""

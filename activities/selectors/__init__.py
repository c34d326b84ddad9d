"""Read-side queries for activities and competitions, shaped for a bounded number of SQL queries per page."""

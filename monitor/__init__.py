"""The deadline monitor: escalates overdue applications and tells applicants and recruiters."""

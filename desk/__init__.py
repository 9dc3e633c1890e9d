"""The recruiters' desk: escalations, hand-over to a person, the dashboard."""

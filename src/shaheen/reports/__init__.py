"""Reports: the figures every stage adds to, and their charts and exports."""

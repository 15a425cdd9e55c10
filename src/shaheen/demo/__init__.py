"""The synthetic demo: fictional accounts and posts, and a run of every stage."""

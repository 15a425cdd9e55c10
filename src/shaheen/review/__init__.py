"""Review: the prioritised human review queue, decisions and safeguards."""

"""The pipeline: runs the stages in order over stored data, above them all.

Detection does not know review exists, and review does not run detection; this package
joins them: a scan detects in batches, assesses the accounts touched, and hands the
assessments to review's intake, one transaction per batch. It is also where the scanner
is built from the settings, once, for the CLI, the demo and (later) the API.
"""

"""Detect: detectors that turn posts, accounts and media into explainable signals."""

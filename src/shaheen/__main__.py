"""`python -m shaheen` runs the CLI."""

from shaheen.cli import main

main()

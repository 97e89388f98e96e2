"""`python -m semfind.app` runs the command line."""

from .cli import main

main()

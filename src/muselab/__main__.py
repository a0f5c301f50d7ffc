"""``python -m muselab`` runs the command line."""

from muselab.cli.main import main

main()

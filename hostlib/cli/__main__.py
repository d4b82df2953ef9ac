"""``python -m hostlib.cli`` runs the ``hostlib`` command."""

from hostlib.cli import main

main()

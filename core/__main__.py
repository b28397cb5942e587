"""``python -m core`` runs the quinte command line."""

from core.cli import app

app()

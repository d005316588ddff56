"""narrate's version: one place, imported by the package, the CLI and the recipe key."""

__version__ = "0.1.0"

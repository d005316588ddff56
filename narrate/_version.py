"""narrate's version: one place, imported by the package, the CLI and the recipe key."""

__version__ = "0.1.0"

# The name on PyPI (`narrate` there is another project); the import package and the command stay `narrate`.
DISTRIBUTION = "narrate-news"


def pip_install(extra: str) -> str:
    """The command that installs one of narrate's optional extras, for the errors and help that name it."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"

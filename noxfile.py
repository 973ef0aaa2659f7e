"""Run the tests on every Python version that pyproject.toml claims: ``nox``.

``nox -s oldest`` runs them with the oldest websockets that pyproject.toml
allows, so that its floor stays true. Every solver test runs on both
searches, the compiled one and the Python one, in every session.

"""

import re

import nox

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = nox.project.python_versions(PYPROJECT)

nox.options.sessions = ["tests", "oldest"]


@nox.session(python=PYTHONS)
def tests(session):
    """The whole suite, with the newest dependencies that pyproject.toml allows."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHONS[0])
def oldest(session):
    """The whole suite on the oldest Python, with the oldest websockets allowed."""
    floor = next(
        match[1]
        for requirement in PYPROJECT["project"]["dependencies"]
        if (match := re.match(r"websockets>=([\d.]+)", requirement))
    )
    session.install("-e", ".[test]", f"websockets=={floor}")
    session.run("python", "-m", "pytest", *session.posargs)

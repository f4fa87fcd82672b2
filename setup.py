"""For ``scrapyd-deploy``, which builds the Scrapyd egg with ``python setup.py bdist_egg`` and would
otherwise write a setup.py of its own; everything else is in pyproject.toml."""

from setuptools import setup

setup()

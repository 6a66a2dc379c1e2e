"""The one thing pyproject.toml cannot say: the bundled cases/ ship inside the package as verifygrad/examples."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["verifygrad*"]), "verifygrad.examples"],
    package_dir={"verifygrad.examples": "cases"},
    package_data={"verifygrad.examples": ["*.yaml", "*.yml"]},
)

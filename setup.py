"""Packaging for pendo-dbt: the `pendo-dbt` CLI and the `pendo_sync` Python package."""

from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="pendo-dbt",
    version="0.1.0",
    description="Reverse ETL from dbt models into Pendo: visitor/account metadata and Track events.",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.9",
    packages=find_packages(include=["pendo_sync", "pendo_sync.*"]),
    install_requires=[
        "dbt-core>=1.8,<2",
        "agate>=1.7",
        "urllib3>=2",
        "certifi",
        "jinja2>=3",
        "click>=8",
        "sqlglot>=25,<31",
    ],
    extras_require={
        "duckdb": ["dbt-duckdb>=1.8"],
        "postgres": ["dbt-postgres>=1.8"],
        "socks": ["urllib3[socks]>=2"],
        # The engines the end-to-end suite also runs on (scripts/bootstrap --engines, a separate .venv-engines):
        # real adapters, with fakesnow standing in for Snowflake and a local pyspark session for Spark.
        "test-engines": ["dbt-snowflake", "fakesnow[server]", "dbt-spark[session]", "pyspark", "dbt-redshift"],
        "test": ["pytest>=7", "pytest-xdist>=3", "hypothesis>=6", "trustme", "ruff>=0.5", "mypy>=1.8", "requests", "types-requests", "import-linter>=2.1"],
    },
    entry_points={"console_scripts": ["pendo-dbt=pendo_sync.cli:main"]},
)

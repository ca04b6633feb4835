"""pendo-dbt: reverse ETL from dbt models into Pendo."""

__version__ = "0.1.0"

"""The only modules that import dbt: `parsing` (dbt's parse of the project for a target), `selection`
(`dbt ls` for --select/--exclude/--selector) and `warehouse` (the user's profile and adapter), which
runs statements through `dbapi_driver` (the raw cursors of a PEP 249 handle) or `dbt_driver` (dbt's
adapter API alone), reading in `paging`'s keyset pages where nothing streams. Everything else sees dbt through their types, so dbt's API changes land here alone.

Not named `dbt_*` at the top level: dbt imports every top-level module of that name on sys.path.
"""

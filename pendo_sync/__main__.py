"""`python -m pendo_sync`: the same CLI as `pendo-dbt`."""

from pendo_sync.cli import main

main()

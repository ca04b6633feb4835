{#
    pendo_sync.version()

    This package's version, the same as its dbt_project.yml `version` and the `pendo-dbt` CLI it goes with.
    `pendo-dbt` reads this macro from the parsed project (it does not run it) and warns when the installed
    package and the CLI differ: the CLI writes the sync-state tables whose models this package declares.
#}
{% macro version() %}0.1.0{% endmacro %}

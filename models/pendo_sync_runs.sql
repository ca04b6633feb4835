{#- One row per `pendo-dbt sync` run: when, how it ended, and its totals (JSON). -#}
select
    cast(null as {{ dbt.type_string() }}) as run_id,
    cast(null as {{ dbt.type_string() }}) as command,
    cast(null as {{ dbt.type_timestamp() }}) as started_at,
    cast(null as {{ dbt.type_timestamp() }}) as finished_at,
    cast(null as {{ dbt.type_string() }}) as status,
    cast(null as {{ pendo_sync.type_long_text() }}) as summary
from (select 1 as one) as pendo_sync__one
where 1 = 0

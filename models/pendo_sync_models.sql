{#- The tagged models pendo-dbt has started syncing (decides what `backfill` means for event models). -#}
select
    cast(null as {{ dbt.type_string() }}) as model_id,
    cast(null as {{ dbt.type_string() }}) as pendo_object,
    cast(null as {{ dbt.type_timestamp() }}) as first_synced_at,
    cast(null as {{ dbt.type_string() }}) as run_id
from (select 1 as one) as pendo_sync__one
where 1 = 0

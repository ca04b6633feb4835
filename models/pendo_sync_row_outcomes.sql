{#- Every row that did not land in a run (missing in Pendo, rejected, failed), with its reason. -#}
select
    cast(null as {{ dbt.type_string() }}) as run_id,
    cast(null as {{ dbt.type_string() }}) as model_id,
    cast(null as {{ dbt.type_string() }}) as pendo_group,
    cast(null as {{ dbt.type_string() }}) as record_key,
    cast(null as {{ dbt.type_string() }}) as outcome,
    cast(null as {{ pendo_sync.type_long_text() }}) as reason,
    cast(null as {{ dbt.type_timestamp() }}) as recorded_at
from (select 1 as one) as pendo_sync__one
where 1 = 0

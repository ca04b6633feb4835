{#- Every drifted record `pendo-dbt verify` found: a field whose value in Pendo differs from the model's
    (as sync would send it), or a record Pendo does not have. Written by verify, one set per run. -#}
select
    cast(null as {{ dbt.type_string() }}) as run_id,
    cast(null as {{ dbt.type_string() }}) as model_id,
    cast(null as {{ dbt.type_timestamp() }}) as recorded_at,
    cast(null as {{ dbt.type_string() }}) as pendo_group,
    cast(null as {{ dbt.type_string() }}) as record_key,
    cast(null as {{ dbt.type_string() }}) as field,
    cast(null as {{ dbt.type_string() }}) as outcome,
    cast(null as {{ pendo_sync.type_long_text() }}) as pendo_value,
    cast(null as {{ pendo_sync.type_long_text() }}) as model_value
from (select 1 as one) as pendo_sync__one
where 1 = 0

{#- What Pendo acknowledged: one row per (model, Pendo group, record key). Written by `pendo-dbt sync`;
    declared here, typed and empty, so `dbt run` creates it and you can ref() and test it. -#}
select
    cast(null as {{ dbt.type_string() }}) as model_id,
    cast(null as {{ dbt.type_string() }}) as pendo_group,
    cast(null as {{ dbt.type_string() }}) as record_key,
    cast(null as {{ dbt.type_string() }}) as row_hash,
    cast(null as {{ dbt.type_timestamp() }}) as synced_at,
    cast(null as {{ dbt.type_string() }}) as run_id
from (select 1 as one) as pendo_sync__one
where 1 = 0

{#- What Pendo acknowledged, appended by `pendo-dbt sync`: a (model, Pendo group, record key)'s state is its
    row with the highest seq; a latest row_hash of 'pendo_sync:unknown' means "state unknown, sent again".
    Where DELETE works, each sync compacts it to about one row per key. Declared here, typed and empty, so
    `dbt run` creates it and you can ref() and test it. -#}
select
    cast(null as {{ dbt.type_string() }}) as model_id,
    cast(null as {{ dbt.type_string() }}) as pendo_group,
    cast(null as {{ dbt.type_string() }}) as record_key,
    cast(null as {{ dbt.type_string() }}) as row_hash,
    cast(null as {{ dbt.type_timestamp() }}) as synced_at,
    cast(null as {{ dbt.type_string() }}) as run_id,
    cast(null as {{ dbt.type_bigint() }}) as seq
from (select 1 as one) as pendo_sync__one
where 1 = 0

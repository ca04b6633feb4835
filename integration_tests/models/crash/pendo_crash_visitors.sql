-- Generated visitors whose values change with the var crash_version (built only by the crash tests).
select
    'cv' || cast(i as {{ dbt.type_string() }}) as user_id,
    'user' || cast(i as {{ dbt.type_string() }}) || '@v{{ var("crash_version", 1) }}.example' as email,
    cast(mod(i, 7) + {{ var("crash_version", 1) }} as integer) as seats
from {{ int_series(var("crash_visitors", 300)) }}

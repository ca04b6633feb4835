-- Generated events; each crash_version appends more (built only by the crash tests).
select
    'ce' || cast(i as {{ dbt.type_string() }}) as event_id,
    'cv' || cast(mod(i, 50) as {{ dbt.type_string() }}) as user_id,
    'Crash Test' as event,
    {{ seconds_after("cast('2026-11-01 00:00:00' as timestamp)", 'i') }} as occurred_at
from {{ int_series(var("crash_events", 200)) }}

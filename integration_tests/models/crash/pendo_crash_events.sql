-- Generated events; each crash_version appends more (built only by the crash tests).
select
    'ce' || cast(i as varchar) as event_id,
    'cv' || cast(mod(i, 50) as varchar) as user_id,
    'Crash Test' as event,
    cast('2026-11-01 00:00:00' as timestamp) + i * interval '1 second' as occurred_at
from {{ int_series(var("crash_events", 200)) }}

-- var('bench_events') product events, with the event id built by the package's own macro.
with events as (
    select
        ['Signed Up', 'Report Exported', 'Invite Sent', 'Plan Upgraded', 'Dashboard Viewed'][1 + (i % 5)]
            as event,
        'v' || lpad(cast(i % 100000 as varchar), 9, '0') as visitor_id,
        'a' || lpad(cast(i % 1000 as varchar), 6, '0') as account_id,
        timestamp '2026-01-01 00:00:00' + to_seconds(i) as occurred_at,
        ['free', 'team', 'business', 'enterprise'][1 + (i % 4)] as plan,
        cast((i % 5000) * 0.99 as decimal(10, 2)) as amount,
        '10.0.' || cast((i // 256) % 256 as varchar) || '.' || cast(i % 256 as varchar) as ip,
        i as seq
    from range(0, {{ var('bench_events') | int }}) as t(i)
)

select
    {{ pendo_sync.event_id(columns=['seq', 'event', 'visitor_id', 'occurred_at']) }} as event_id,
    event, visitor_id, account_id, occurred_at, plan, amount, ip
from events

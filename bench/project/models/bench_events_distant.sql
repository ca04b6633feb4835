-- var('bench_distant_events') rows of bench_events: the distant-Pendo phase sends them paced at --max-rps.
select * from {{ ref('bench_events') }} order by event_id limit {{ var('bench_distant_events') | int }}

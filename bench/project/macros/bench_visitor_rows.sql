{#
    bench_visitor_rows(count)

    `count` visitor rows made in SQL (no seed files, so a million rows cost no repository space), with the
    six mapped columns in mixed types. Rows whose number is a multiple of 100 (exactly 1%) change their
    login_count (agent group) and last_login (custom group) with var('bench_revision'), so a rebuild with
    a new revision is the "1% of visitors changed" case of an incremental sync.
#}
{% macro bench_visitor_rows(count) -%}
{%- set revision = var('bench_revision') | int -%}
select
    'v' || lpad(cast(i as varchar), 9, '0') as visitor_id,
    'user' || cast(i as varchar) || '@example.com' as email,
    cast((i * 7) % 1000 + case when i % 100 = 0 then {{ revision }} else 0 end as integer) as login_count,
    ['free', 'team', 'business', 'enterprise'][1 + (i % 4)] as plan_tier,
    cast((i % 100000) * 1.25 as decimal(12, 2)) as arr,
    timestamp '2026-01-01 00:00:00'
        + to_seconds(i % 8640000)
        + to_days(case when i % 100 = 0 then {{ revision }} else 0 end) as last_login,
    i % 10 = 0 as is_admin
from range(0, {{ count }}) as t(i)
{%- endmacro %}

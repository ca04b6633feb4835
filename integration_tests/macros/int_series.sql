{#- Rows 0..n-1 as a relation with one column `i`: generated data for the crash-convergence tests. -#}
{% macro int_series(n) -%}
    {{ return(adapter.dispatch('int_series', 'pendo_sync_integration_tests')(n)) }}
{%- endmacro %}

{% macro default__int_series(n) -%}
    (select i from range(0, {{ n }}) as t(i)) as series
{%- endmacro %}

{% macro postgres__int_series(n) -%}
    (select i from generate_series(0, {{ n }} - 1) as t(i)) as series
{%- endmacro %}

{#- seq4() may leave gaps on Snowflake; row_number() does not. -#}
{% macro snowflake__int_series(n) -%}
    (select row_number() over (order by seq4()) - 1 as i from table(generator(rowcount => {{ n }}))) as series
{%- endmacro %}

{% macro spark__int_series(n) -%}
    (select id as i from range(0, {{ n }})) as series
{%- endmacro %}

{#- `ts` plus `i` seconds: dbt's cross-database dateadd, except on the Redshift stand-in (PostgreSQL behind
    tests/engines/redshift_proxy.py), which has no dateadd; interval arithmetic is valid on both. -#}
{% macro seconds_after(ts, i) -%}
    {{ return(adapter.dispatch('seconds_after', 'pendo_sync_integration_tests')(ts, i)) }}
{%- endmacro %}

{% macro default__seconds_after(ts, i) -%}
    {{ dbt.dateadd('second', i, ts) }}
{%- endmacro %}

{% macro redshift__seconds_after(ts, i) -%}
    {{ ts }} + {{ i }} * interval '1 second'
{%- endmacro %}

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

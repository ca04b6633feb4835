{#
    pendo_sync._key_check_sql(relation, column)  (private; used by pendo_sync.validate)

    One query, one row: row_count, non_null_count, distinct_count of the key column, and the most
    repeated non-NULL value (example_value, occurrences) with the number of values that repeat
    (duplicated_values); the last three are NULL when the key is unique. column is the name as the
    relation stores it, quoted here so a case-folding warehouse reads that very column.
#}
{% macro _key_check_sql(relation, column) -%}
    {{ return(adapter.dispatch('_key_check_sql', 'pendo_sync')(relation, column)) }}
{%- endmacro %}


{% macro default___key_check_sql(relation, column) -%}
    {%- set key = adapter.quote(column) -%}
with key_stats as (
    select
        count(*) as row_count,
        count({{ key }}) as non_null_count,
        count(distinct {{ key }}) as distinct_count
    from {{ relation }}
),

duplicated as (
    select
        {{ dbt.cast(key, dbt.type_string()) }} as example_value,
        count(*) as occurrences,
        count(*) over () as duplicated_values
    from {{ relation }}
    where {{ key }} is not null
    group by {{ key }}
    having count(*) > 1
    order by occurrences desc, example_value
    limit 1
)

select
    key_stats.row_count,
    key_stats.non_null_count,
    key_stats.distinct_count,
    duplicated.example_value,
    duplicated.occurrences,
    duplicated.duplicated_values
from key_stats
left join duplicated on 1 = 1
{%- endmacro %}

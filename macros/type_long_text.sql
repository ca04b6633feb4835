{#
    pendo_sync.type_long_text()

    The column type of a text that may be long: a run's summary, a row's reason. dbt.type_string() is
    `varchar` on Redshift, which holds 256 characters; a one-model run summary is longer.
#}
{% macro type_long_text() -%}
    {{ return(adapter.dispatch('type_long_text', 'pendo_sync')()) }}
{%- endmacro %}


{% macro default__type_long_text() -%}
    {{ return(dbt.type_string()) }}
{%- endmacro %}


{% macro redshift__type_long_text() -%}
    {{ return('varchar(65535)') }}
{%- endmacro %}

{#
    pendo_sync._encode_value(expression)  (private; used by pendo_sync.event_id)

    An injective text encoding of one value: NULL -> 'n', any other value -> 's<length>:<text>', where
    <text> is the value cast to the adapter's string type and <length> its length. The prefix makes
    NULL, '' and 'null' distinct, and lets encodings be concatenated without ambiguity.
#}
{% macro _encode_value(expression) -%}
    {{ return(adapter.dispatch('_encode_value', 'pendo_sync')(expression)) }}
{%- endmacro %}


{% macro default___encode_value(expression) -%}
    {%- set text = dbt.cast(expression, dbt.type_string()) | trim -%}
    {%- set length_text = dbt.cast(dbt.length(text) | trim, dbt.type_string()) | trim -%}
    {%- set encoded = dbt.concat(["'s'", length_text, "':'", text]) | trim -%}
    {{ return("case when " ~ expression ~ " is null then 'n' else " ~ encoded ~ " end") }}
{%- endmacro %}

{#
    pendo_sync.event_id(relation=None, columns=None)

    One SQL expression: a deterministic md5 hex id for a row, for use as a Pendo Track event id.

        select {{ pendo_sync.event_id(ref('stg_events')) }} as event_id, *
        from {{ ref('stg_events') }}

        select {{ pendo_sync.event_id(columns=['user_id', 'event', 'occurred_at']) }} as event_id, ...

    relation=  hash every column of that relation, in the relation's column order (introspected at run
               time; the expression names the columns unqualified, so use it in a query reading that
               relation or one with the same columns).
    columns=   hash these column names or SQL expressions, in the order given (used as written, like
               dbt_utils.generate_surrogate_key; quote them yourself if they need it).

    Each value is cast to text and encoded with a length prefix ('s<length>:<text>', NULL as 'n'), and
    the encoded values are joined with '|'. So NULL, '' and 'null' all give different ids, and
    ('a|', 'b') cannot collide with ('a', '|b'). The same values in the same column order always give
    the same id, whichever query or run computes it; changing the column order changes the id.
#}
{% macro event_id(relation=None, columns=None) -%}
    {{ return(adapter.dispatch('event_id', 'pendo_sync')(relation, columns)) }}
{%- endmacro %}


{% macro default__event_id(relation=None, columns=None) -%}
    {%- set usage = "Call it as pendo_sync.event_id(ref('my_model')) to hash every column of a model, or pendo_sync.event_id(columns=['user_id', 'event', 'occurred_at']) to hash the listed columns." -%}

    {%- if relation is none and columns is none -%}
        {{ exceptions.raise_compiler_error("pendo_sync.event_id: pass a relation or a list of columns; got neither. " ~ usage) }}
    {%- elif relation is not none and columns is not none -%}
        {{ exceptions.raise_compiler_error("pendo_sync.event_id: pass either relation= or columns=, not both. " ~ usage) }}
    {%- endif -%}

    {%- if relation is not none -%}
        {%- if relation is string -%}
            {{ exceptions.raise_compiler_error("pendo_sync.event_id: relation must be a relation such as ref('my_model') or source('src', 'table'), got the string '" ~ relation ~ "'. To hash named columns, pass columns=['" ~ relation ~ "', ...] instead.") }}
        {%- endif -%}
        {#- Parse time: no warehouse to ask for columns. The expression is never run. -#}
        {%- if not execute -%}
            {{ return("''") }}
        {%- endif -%}
        {%- if relation.is_cte is defined and relation.is_cte -%}
            {{ exceptions.raise_compiler_error("pendo_sync.event_id: " ~ relation ~ " is an ephemeral model, whose columns cannot be looked up. Pass columns=[...] instead, or materialize it as a view or table.") }}
        {%- endif -%}
        {%- set names = [] -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do names.append(adapter.quote(column.name)) -%}
        {%- endfor -%}
        {%- if names | length == 0 -%}
            {#- `dbt compile` / `dbt docs generate` before anything is built: keep going, like dbt_utils.star. -#}
            {%- if flags.WHICH in ['compile', 'generate'] -%}
                {{ return("/* pendo_sync.event_id: " ~ relation ~ " is not built yet */ ''") }}
            {%- endif -%}
            {{ exceptions.raise_compiler_error("pendo_sync.event_id: found no columns in " ~ relation ~ ". It does not exist yet (build it first: `dbt run -s +<this model>`), or it has no columns. Or pass columns=[...] instead.") }}
        {%- endif -%}
    {%- else -%}
        {%- if columns is string or columns is mapping or columns is not iterable -%}
            {{ exceptions.raise_compiler_error("pendo_sync.event_id: columns must be a list of column names, e.g. columns=['" ~ columns ~ "']; got " ~ columns ~ ".") }}
        {%- endif -%}
        {%- set names = columns | list -%}
        {%- if names | length == 0 -%}
            {{ exceptions.raise_compiler_error("pendo_sync.event_id: columns is empty. List the columns that identify an event, e.g. columns=['user_id', 'event', 'occurred_at'].") }}
        {%- endif -%}
    {%- endif -%}

    {%- set fields = [] -%}
    {%- for name in names -%}
        {%- if not loop.first -%}
            {%- do fields.append("'|'") -%}
        {%- endif -%}
        {%- do fields.append(pendo_sync._encode_value(name)) -%}
    {%- endfor -%}

    {{ dbt.hash(dbt.concat(fields)) }}
{%- endmacro %}

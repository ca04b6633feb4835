{#
    pendo_sync.validate()  -- a model post-hook

    Checks a model tagged with meta.pendo right after dbt builds it, so a bad model fails `dbt run` /
    `dbt build` instead of a later `pendo-dbt sync`:
      - every mapped column exists in the built relation (id_column, fields.*, and for events
        event_id_column, event_name_column, visitor_id_column, account_id_column, timestamp_column,
        properties, context), spelled exactly or differing only in case from one column;
      - visitor/account/parent_account models: id_column has no NULLs and no duplicates;
      - segment models: visitor_id_column has no NULLs and no duplicates;
      - event models: event_id_column has no NULLs and no duplicates.
    Models without meta.pendo are left alone. Apply it to a folder in dbt_project.yml:

        models:
          my_project:
            pendo:
              +post-hook: "{{ pendo_sync.validate() }}"

    or to one model: {{ config(post_hook="{{ pendo_sync.validate() }}") }}
#}
{% macro validate() -%}
    {{ return(adapter.dispatch('validate', 'pendo_sync')()) }}
{%- endmacro %}


{% macro default__validate() -%}
    {#- Parse time, and any time the hook is only being compiled: nothing to check. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- if model is not defined or model is not mapping or this is not defined or this is none -%}
        {{ exceptions.raise_compiler_error("pendo_sync.validate() checks one model and must run as its post-hook: add `+post-hook: \"{{ pendo_sync.validate() }}\"` to the model's folder in dbt_project.yml, or {{ config(post_hook=\"{{ pendo_sync.validate() }}\") }} to the model.") }}
    {%- endif -%}

    {%- set pendo = pendo_sync._pendo_meta(model) -%}
    {%- if pendo is none -%}
        {{ return('') }}
    {%- endif -%}

    {%- set name = model.get('name') -%}
    {%- if pendo is not mapping or pendo.get('object') not in ['visitor', 'account', 'parent_account', 'event', 'segment'] -%}
        {{ exceptions.raise_compiler_error("pendo_sync.validate: model '" ~ name ~ "' has meta.pendo with object: " ~ ((pendo.get('object') if pendo is mapping else none) | tojson) ~ ", which is not a Pendo object. Fix: set meta.pendo.object to one of visitor, account, parent_account, event, segment.") }}
    {%- endif -%}

    {%- set object = pendo.get('object') -%}
    {%- set key_name = {'event': 'event_id_column', 'segment': 'visitor_id_column'}.get(object, 'id_column') -%}
    {%- set noun = {'event': 'unique event id', 'segment': 'Pendo visitor id', 'parent_account': 'Pendo parent account id'}.get(object, 'Pendo ' ~ object ~ ' id') -%}
    {%- set key_column = pendo.get(key_name) -%}
    {%- set problems = [] -%}

    {%- if key_column is not string or key_column | trim == '' -%}
        {%- do problems.append("meta.pendo." ~ key_name ~ " is not set. Fix: set it to the model column holding the " ~ noun ~ ".") -%}
    {%- endif -%}

    {#- 1. Every mapped column must exist. A name with no exact match stands for the one column whose name
        differs only in case (Snowflake stores an unquoted user_id as USER_ID), as pendo-dbt resolves it
        (pendo_sync/column_case.py); two such columns are ambiguous. -#}
    {%- set actual = [] -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
        {%- do actual.append(column.name) -%}
    {%- endfor -%}
    {%- set stored = {} -%}
    {%- set missing = [] -%}
    {%- for key, column in pendo_sync._mapped_columns(pendo) -%}
        {%- set found = [] -%}
        {%- for candidate in actual if candidate | lower == column | lower -%}
            {%- do found.append(candidate) -%}
        {%- endfor -%}
        {%- if column in actual -%}
            {%- do stored.update({column: column}) -%}
        {%- elif found | length == 1 -%}
            {%- do stored.update({column: found[0]}) -%}
        {%- elif column not in missing -%}
            {%- do missing.append(column) -%}
            {%- if found -%}
                {%- do problems.append(
                    "mapped column '" ~ column ~ "' (meta.pendo." ~ key ~ ") matches '" ~ (found | join("', '"))
                    ~ "', which differ only in case. Fix: write the name exactly as the model stores it (case"
                    ~ " included), or rename one of them."
                ) -%}
            {%- else -%}
                {%- do problems.append(
                    "mapped column '" ~ column ~ "' (meta.pendo." ~ key ~ ") is missing from the built relation"
                    ~ "; it has columns: " ~ (actual | join(', '))
                    ~ ". Fix: correct the column name in meta.pendo, or select that column in the model."
                ) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}

    {#- 2. The key column: no NULLs, no duplicates. -#}
    {%- if key_column is string and key_column in stored -%}
        {#- By position: a case-folding warehouse returns the unquoted aliases upper-cased. -#}
        {%- set row = run_query(pendo_sync._key_check_sql(this, stored[key_column])).rows[0] -%}
        {%- set stats = dict(zip(['row_count', 'non_null_count', 'distinct_count', 'example_value', 'occurrences', 'duplicated_values'], row)) -%}
        {%- set row_count = stats['row_count'] | int -%}
        {%- set null_count = row_count - (stats['non_null_count'] | int) -%}
        {%- set extra_rows = (stats['non_null_count'] | int) - (stats['distinct_count'] | int) -%}
        {%- set what = "the event id" if object == 'event' else "the " ~ noun -%}

        {%- if null_count > 0 -%}
            {%- if object == 'event' -%}
                {%- set fix = "Fix: compute an id for every row, e.g. {{ pendo_sync.event_id(ref('<upstream model>')) }} as " ~ key_column ~ ", or filter the rows out (where " ~ key_column ~ " is not null)." -%}
            {%- else -%}
                {%- set fix = "Fix: filter those rows out in the model (where " ~ key_column ~ " is not null), or fill the id with coalesce()." -%}
            {%- endif -%}
            {%- do problems.append(
                key_name ~ " '" ~ key_column ~ "' has " ~ null_count ~ " NULL value(s) in " ~ row_count
                ~ " row(s); every row needs " ~ what ~ ". " ~ fix
            ) -%}
        {%- endif -%}

        {%- if extra_rows > 0 -%}
            {%- set example = stats['example_value'] | string -%}
            {%- if example | length > 100 -%}
                {%- set example = example[:100] ~ '...' -%}
            {%- endif -%}
            {%- if object == 'event' -%}
                {%- set consequence = "each event is sent once per id, so the other rows would never reach Pendo" -%}
                {%- set fix = "Fix: make the id unique per event, e.g. hash every column with {{ pendo_sync.event_id(ref('<upstream model>')) }} as " ~ key_column ~ ", or remove the duplicate rows." -%}
            {%- elif object == 'segment' -%}
                {%- set consequence = "a visitor is a member of a segment once, so a repeated id means the model is not one row per visitor" -%}
                {%- set fix = "Fix: select distinct " ~ key_column ~ " in the model." -%}
            {%- else -%}
                {%- set consequence = "Pendo keeps one record per id, so which row's values win would be arbitrary" -%}
                {%- set fix = "Fix: make the model one row per " ~ key_column ~ ", e.g. keep the latest row with row_number() over (partition by " ~ key_column ~ " order by <updated_at> desc) = 1." -%}
            {%- endif -%}
            {%- do problems.append(
                key_name ~ " '" ~ key_column ~ "' has duplicated values: " ~ (stats['duplicated_values'] | int)
                ~ " value(s) appear more than once (" ~ extra_rows ~ " extra row(s) in " ~ row_count
                ~ "), e.g. '" ~ example ~ "' appears " ~ (stats['occurrences'] | int) ~ " times; "
                ~ consequence ~ ". " ~ fix
            ) -%}
        {%- endif -%}
    {%- endif -%}

    {%- if problems -%}
        {%- set lines = [] -%}
        {%- for problem in problems -%}
            {%- do lines.append("  - " ~ problem) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "pendo_sync.validate: model '" ~ name ~ "' (meta.pendo object: " ~ object ~ ", built as " ~ this
            ~ ") failed " ~ (problems | length) ~ " check(s):\n" ~ (lines | join('\n'))
        ) }}
    {%- endif -%}

    {{ return('') }}
{%- endmacro %}

{#
    pendo_sync._mapped_columns(pendo)  (private)

    Every column a meta.pendo mapping reads, as a list of [key, column] pairs in a stable order, where key
    says where in meta.pendo the column is mapped (e.g. 'fields.custom.plan_tier'). Values that are not
    column names are skipped here; pendo-dbt's own config check reports them.
#}
{% macro _mapped_columns(pendo) -%}
    {%- set pairs = [] -%}
    {%- set object = pendo.get('object') -%}
    {%- if object in ['visitor', 'account', 'parent_account'] -%}
        {%- set single_keys = ['id_column'] -%}
    {%- elif object == 'segment' -%}
        {%- set single_keys = ['visitor_id_column'] -%}
    {%- else -%}
        {%- set single_keys = ['event_id_column', 'event_name_column', 'visitor_id_column', 'account_id_column', 'timestamp_column'] -%}
    {%- endif -%}
    {%- for key in single_keys -%}
        {%- if pendo.get(key) is string -%}
            {%- do pairs.append([key, pendo.get(key)]) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set fields = pendo.get('fields') -%}
    {%- if fields is mapping -%}
        {%- for group, mapping in fields.items() -%}
            {%- if mapping is mapping -%}
                {%- for field, column in mapping.items() -%}
                    {%- if column is string -%}
                        {%- do pairs.append(['fields.' ~ group ~ '.' ~ field, column]) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}

    {%- set properties = pendo.get('properties') -%}
    {%- if properties is mapping -%}
        {%- for name, column in properties.items() -%}
            {%- if column is string -%}
                {%- do pairs.append(['properties.' ~ name, column]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- elif properties is iterable and properties is not string -%}
        {%- for column in properties -%}
            {%- if column is string -%}
                {%- do pairs.append(['properties[' ~ loop.index0 ~ ']', column]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}

    {%- set context = pendo.get('context') -%}
    {%- if context is mapping -%}
        {%- for name, column in context.items() -%}
            {%- if column is string -%}
                {%- do pairs.append(['context.' ~ name, column]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}

    {{ return(pairs) }}
{%- endmacro %}

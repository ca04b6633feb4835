{#
    pendo_sync._pendo_meta(node)  (private)

    The node's meta.pendo as the user wrote it, or none: config.meta.pendo first (dbt >= 1.10 keeps meta
    under config), then the node's top-level meta.pendo, the same order pendo-dbt reads the manifest in.
#}
{% macro _pendo_meta(node) -%}
    {%- set config_meta = (node.get('config') or {}).get('meta') or {} -%}
    {%- set node_meta = node.get('meta') or {} -%}
    {%- if config_meta is mapping and config_meta.get('pendo') is not none -%}
        {{ return(config_meta.get('pendo')) }}
    {%- elif node_meta is mapping -%}
        {{ return(node_meta.get('pendo')) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

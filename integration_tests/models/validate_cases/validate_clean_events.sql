-- Always built: a tagged event model whose id is pendo_sync.event_id over every input column.
{{ config(post_hook="{{ pendo_sync.validate() }}") }}

select
    {{ pendo_sync.event_id(ref('validate_clean_events_input')) }} as event_id,
    *
from {{ ref('validate_clean_events_input') }}

{{ config(post_hook="{{ pendo_sync.validate() }}") }}
-- Track events: the event id hashes every column of the source, so it is stable across runs.
select
    {{ pendo_sync.event_id(ref('app_events')) }} as event_id,
    *
from {{ ref('app_events') }}

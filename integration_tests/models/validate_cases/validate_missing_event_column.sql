-- Case missing_event_column: properties lists currency and context.url maps to page_url; neither exists.
{{ config(enabled=var('pendo_validate_case', '') == 'missing_event_column', post_hook="{{ pendo_sync.validate() }}") }}

select
    'e1' as event_id,
    'u001' as user_id,
    cast('2024-03-01 10:00:00' as timestamp) as occurred_at,
    12.5 as amount

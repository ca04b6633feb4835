-- Case null_event_id: the second event has no id.
{{ config(enabled=var('pendo_validate_case', '') == 'null_event_id', post_hook="{{ pendo_sync.validate() }}") }}

select 'e1' as event_id, 'u001' as user_id, 'Signed Up' as event, cast('2024-03-01 10:00:00' as timestamp) as occurred_at
union all
select null, 'u002', 'Signed Up', cast('2024-03-02 10:00:00' as timestamp)

-- Case dup_event_id: e2 is the id of two different events.
{{ config(enabled=var('pendo_validate_case', '') == 'dup_event_id', post_hook="{{ pendo_sync.validate() }}") }}

select 'e1' as event_id, 'u001' as user_id, 'Signed Up' as event, cast('2024-03-01 10:00:00' as timestamp) as occurred_at
union all
select 'e2', 'u001', 'Report Exported', cast('2024-03-01 11:00:00' as timestamp)
union all
select 'e2', 'u002', 'Report Exported', cast('2024-03-01 12:00:00' as timestamp)
